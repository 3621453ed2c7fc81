// The package entry `miniconv/winograd`: loads Winograd F(2x2,3x3) into the conv family, for a browser
// bundle whose convs use { winograd: true } (the Node entry 'miniconv', the command line and the
// training threads load it already). It exports nothing: importing it is what it does.
import './kernels/winograd.ts';
export {};
