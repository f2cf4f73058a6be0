/** A one-line progress bar on a TTY; silent otherwise (logs and CI stay clean). */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr) {
  const enabled = stream.isTTY === true;
  const started = Date.now();
  return {
    update(step: string, index: number, total: number) {
      if (!enabled) return;
      const width = 20;
      const done = Math.round(((index + 1) / total) * width);
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      stream.write(`\r\x1b[K${label} [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${step} ${secs}s`);
    },
    done() {
      if (enabled) stream.write('\r\x1b[K');
    },
  };
}
