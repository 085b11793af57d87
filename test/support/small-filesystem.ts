/**
 * A small real file system to run out of space on: a tmpfs of `sizeMb` mounted on a fresh temp dir
 * (`mount -t tmpfs -o size=<n>M`; needs root, which the CI container and the development VM are).
 * ENOSPC comes from the kernel, so SQLite fails exactly as on a full disk (SQLITE_FULL, also inside
 * COMMIT), which `PRAGMA max_page_count` does not reproduce (it fails the statement, never COMMIT).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface SmallFilesystem {
  dir: string;
  /** Bytes still free for an unprivileged writer. */
  freeBytes(): number;
  /** Writes a filler file until the file system is full (ENOSPC). */
  fill(): void;
  /** Removes the filler file. */
  free(): void;
  /** Unmounts and removes the mount point (whatever is still in it is gone). */
  destroy(): void;
}

export function mountSmallFilesystem(sizeMb: number): SmallFilesystem {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-small-fs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}M,mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`cannot mount a ${sizeMb} MiB tmpfs on ${dir} (the disk-full tests need root): ${(error as Error).message}`);
  }
  const filler = path.join(dir, 'filler');
  return {
    dir,
    freeBytes() {
      const stats = fs.statfsSync(dir);
      return stats.bavail * stats.bsize;
    },
    fill() {
      const fd = fs.openSync(filler, 'a');
      const chunk = Buffer.alloc(64 * 1024);
      try {
        for (;;) {
          try {
            fs.writeSync(fd, chunk);
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
            // The last partial block: write smaller pieces until not one byte fits.
            for (let size = 32 * 1024; size >= 1; size = Math.floor(size / 2)) {
              try {
                while (true) fs.writeSync(fd, chunk.subarray(0, size));
              } catch (inner) {
                if ((inner as NodeJS.ErrnoException).code !== 'ENOSPC') throw inner;
              }
            }
            return;
          }
        }
      } finally {
        fs.closeSync(fd);
      }
    },
    free() {
      fs.rmSync(filler, { force: true });
    },
    destroy() {
      try {
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
