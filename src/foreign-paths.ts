/**
 * Paths a keyframe or settings file may hold that this machine cannot open: a URL (Deforum downloads `https://` init
 * images and soundtracks; deforum-ts does not yet), a Windows drive or network path on another system, or an absolute
 * path from the machine the file was made on. `deforum import` and `deforum validate` name each with the fix.
 */
import path from 'node:path';

export type PathKind = 'url' | 'windows' | 'absolute' | 'relative';

/** What kind of path `file` is, as this platform reads it. */
export function pathKind(file: string, platform: NodeJS.Platform = process.platform): PathKind {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(file)) return 'url';
  // C:\…, C:/…, \\server\share\…: on Windows these are ordinary paths
  if (platform !== 'win32' && (/^[a-z]:[\\/]/i.test(file) || /^\\\\[^\\]/.test(file))) return 'windows';
  return path.isAbsolute(file) ? 'absolute' : 'relative';
}

/** The field to change and the file its relative paths are read from (as a message names it), for the fix. */
export interface PathFix {
  field: string;
  /** `the keyframe file`, `fly_settings.txt` */
  relativeTo: string;
}

/** The file's own name, whichever separators the other system used. */
const baseName = (file: string) => file.split(/[\\/]/).filter(Boolean).pop() ?? file;

/**
 * Why `file` (of `kind`, not found here) cannot be used and how to fix it, in one line; undefined for a relative path,
 * whose "not found" needs no more explanation.
 */
export function unreachablePath(file: string, kind: PathKind, fix: PathFix): string | undefined {
  const copy = `copy the file next to ${fix.relativeTo} and set ${fix.field} to "${baseName(file)}"`;
  if (kind === 'url') return `${file} is a URL; files are not downloaded yet: download it, then ${copy.replace(/^copy the file/, 'put it')}`;
  if (kind === 'windows') return `${file} is a Windows path, which this machine cannot open: ${copy}`;
  if (kind === 'absolute') return `${file} is not on this machine (its folder does not exist here): ${copy}`;
  return undefined;
}
