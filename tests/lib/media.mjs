// Real media for the demo chat app, made locally with Debian's ffmpeg: a
// 2-second 320x240 H.264 mp4 (yuv420p, faststart: plays in Chromium and
// Firefox), a webp thumbnail of its first frame, and a small png.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

function run(cmd, args, timeoutMs) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr.slice(-800)}`));
      else resolve(stdout);
    });
  });
}

const nonEmpty = (f) => existsSync(f) && statSync(f).size > 0;

/** Makes (or reuses) video.mp4, thumb.webp and image.png in `dir`; resolves with `dir`. */
export async function makeMedia(dir, { timeoutMs = 60000 } = {}) {
  mkdirSync(dir, { recursive: true });
  const video = path.join(dir, 'video.mp4');
  const thumb = path.join(dir, 'thumb.webp');
  const image = path.join(dir, 'image.png');
  const ff = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y'];
  if (!nonEmpty(video)) {
    await run('ffmpeg', [...ff, '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=24:duration=2',
      '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', '-c:v', 'libx264', '-preset', 'veryfast',
      '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', '-movflags', '+faststart', `${video}.part.mp4`], timeoutMs);
    await run('mv', [`${video}.part.mp4`, video], 5000);
  }
  if (!nonEmpty(thumb)) {
    await run('ffmpeg', [...ff, '-i', video, '-frames:v', '1', '-vf', 'scale=320:240', '-c:v', 'libwebp', `${thumb}.part.webp`], timeoutMs);
    await run('mv', [`${thumb}.part.webp`, thumb], 5000);
  }
  if (!nonEmpty(image)) {
    await run('ffmpeg', [...ff, '-f', 'lavfi', '-i', 'color=c=orange:size=64x64', '-frames:v', '1', `${image}.part.png`], timeoutMs);
    await run('mv', [`${image}.part.png`, image], 5000);
  }
  return dir;
}
