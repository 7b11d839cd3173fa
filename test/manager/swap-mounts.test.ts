// The mount points a restore must not replace: read from mountinfo (escaped names included), and
// matched at or below each path the swap would move out, never by a shared name prefix.

import { describe, expect, it } from 'vitest';
import { mountsWithin, parseMountPoints } from '../../src/manager/swap-mounts.js';

const MOUNTINFO = [
  '22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
  '45 22 0:40 / /config/www/nas\\040share rw,relatime - cifs //nas/share rw',
  '46 22 0:41 / /config/media rw,relatime - tmpfs none rw',
  '47 22 0:42 / /config/www-other rw,relatime - tmpfs none rw',
  '',
].join('\n');

describe('mount points in the way of a restore', () => {
  it('reads the mount points of mountinfo, octal escapes undone', () => {
    expect(parseMountPoints(MOUNTINFO)).toEqual(['/', '/config/www/nas share', '/config/media', '/config/www-other']);
  });

  it('finds those at or below the paths to replace, and no others', () => {
    const mounts = parseMountPoints(MOUNTINFO);
    expect(mountsWithin('/config', ['www', 'media', 'configuration.yaml'], mounts)).toEqual(['/config/media', '/config/www/nas share']);
    expect(mountsWithin('/config', ['www/nas shares.txt', 'automations.yaml'], mounts)).toEqual([]);
    expect(mountsWithin('/config', ['www-other'], mounts)).toEqual(['/config/www-other']);
    // A path below a mount point (a partial restore's) is on another file system than the staging folder.
    expect(mountsWithin('/config', ['media/clips/a.mp4'], mounts)).toEqual(['/config/media']);
    expect(mountsWithin('/config', ['automations.yaml'], ['/', '/config'])).toEqual([]);
  });
});
