import cliProgress from "cli-progress";

/** A progress bar on a TTY (stderr), nothing otherwise, so piped output stays clean. */
export function createProgress(label: string, total: number, unit = ""): { update(value: number, extra?: string): void; stop(): void } {
  if (!process.stderr.isTTY || total <= 0) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total}${unit} | {extra}`,
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { extra: "" });
  return {
    update: (value, extra = "") => bar.update(Math.min(value, total), { extra }),
    stop: () => bar.stop(),
  };
}
