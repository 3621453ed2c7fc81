// Vitest: 'miniconv' imported by name (as the playground's modules do) resolves to the package's own
// TypeScript sources, through the "miniconv-source" condition of package.json `exports`, as tsx
// and TypeScript resolve it in this repository.
import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['miniconv-source', ...defaultClientConditions] },
  ssr: { resolve: { conditions: ['miniconv-source', ...defaultServerConditions], externalConditions: ['miniconv-source'] } },
});
