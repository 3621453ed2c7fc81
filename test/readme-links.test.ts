// Every link in README.md and docs/*.md goes somewhere: a `](#anchor)` names a heading of the same
// file (GitHub's anchor for it), and a relative link names a file or folder of the repository (and,
// with `#anchor` into a Markdown file, one of that file's headings). Reads files only: fast.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The text outside fenced code blocks (links and headings in code are not links and headings). */
function prose(markdown: string): string {
  let inFence = false;
  return markdown.split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) { inFence = !inFence; return ''; }
    return inFence ? '' : line;
  }).join('\n');
}

/** GitHub's anchor for a heading: lower case, markup and punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading.trim().toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a Markdown text's headings; a repeated heading gets -1, -2, ... as on GitHub. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Every link of `file` (a path under ROOT) that goes nowhere, as "target: why". */
export function brokenLinks(file: string, text = readFileSync(join(ROOT, file), 'utf8')): string[] {
  const problems: string[] = [];
  const own = anchors(text);
  const body = prose(text).replace(/`[^`\n]*`/g, '');
  for (const m of body.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = m[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
    const [path, anchor] = target.split('#', 2) as [string, string | undefined];
    if (path === '') {
      if (!own.has(anchor!)) problems.push(`${target}: no heading of ${file} has that anchor`);
      continue;
    }
    const resolved = join(ROOT, dirname(file), decodeURIComponent(path));
    if (!existsSync(resolved)) { problems.push(`${target}: ${relative(ROOT, resolved)} does not exist`); continue; }
    if (anchor !== undefined && resolved.endsWith('.md') && !anchors(readFileSync(resolved, 'utf8')).has(anchor)) {
      problems.push(`${target}: no heading of ${relative(ROOT, resolved)} has the anchor #${anchor}`);
    }
  }
  return problems;
}

describe('links in README.md and docs/*.md', () => {
  it('the anchors are GitHub\'s, and a broken anchor or path is caught', () => {
    expect(slug('Take it elsewhere: ONNX')).toBe('take-it-elsewhere-onnx');
    expect(slug('Winograd F(2x2,3x3) (opt-in) and relaxed SIMD in the browser'))
      .toBe('winograd-f2x23x3-opt-in-and-relaxed-simd-in-the-browser');
    expect(slug("`npm start`'s memory on its first run")).toBe('npm-starts-memory-on-its-first-run');
    expect([...anchors('# A\n## A\n```\n# not a heading\n```\n')]).toEqual(['a', 'a-1']);
    const md = '# Top\n[ok](#top) [gone](#speed) [file](README.md) [nofile](nowhere.md) [far](README.md#no-such-heading)\n';
    expect(brokenLinks('x.md', md)).toEqual([
      '#speed: no heading of x.md has that anchor',
      'nowhere.md: nowhere.md does not exist',
      'README.md#no-such-heading: no heading of README.md has the anchor #no-such-heading',
    ]);
  });

  const files = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
  for (const file of files) {
    it(`${file}: every link resolves`, () => {
      expect(brokenLinks(file)).toEqual([]);
    });
  }
});
