// The last minute of statistics, one sample a second: what the running pipeline measures (fps,
// bitrate, latency, drops, undecryptable frames) next to what the core counts (ciphertext volume,
// epoch transitions, forwarding drops). The stats panel draws its sparklines from these samples.
import type { CoreStats } from '../../../common/bridge/index.js';
import type { MediaStats } from '../media/api.js';

export const HISTORY_LENGTH = 60;

export interface StatsSample {
  /** null while no pipeline runs. */
  readonly fps: number | null;
  readonly bitrateKbps: number | null;
  readonly latencyMs: number | null;
  /** Ciphertext through the core in both directions, kbit/s between its last two reports. */
  readonly coreKbps: number | null;
  readonly epochTransitions: number;
  /** Cumulative: frames the pipeline dropped plus objects the core could not forward. */
  readonly dropped: number;
  /** Cumulative: frames whose SFrame check failed. */
  readonly undecryptable: number;
}

/** The core reports about once a second and only on change: an older report means no traffic. */
const CORE_REPORT_STALE_MS = 2500;

export class StatsHistory {
  samples = $state.raw<readonly StatsSample[]>([]);
  #lastCore: { at: number; bytes: number } | null = null;
  #coreRate: { at: number; kbps: number } | null = null;

  /**
   * Takes each core stats report as it arrives. The ciphertext rate is measured between reports, not
   * between samples: the two clocks drift, and sampling would see some reports twice and some never.
   */
  noteCore(core: CoreStats, at: number): void {
    const bytes = core.bytesSent + core.bytesReceived;
    const last = this.#lastCore;
    // A counter that went backwards means the core started a new session: no rate from that pair.
    if (last && at > last.at && bytes >= last.bytes) {
      this.#coreRate = { at, kbps: ((bytes - last.bytes) * 8) / (at - last.at) };
    }
    this.#lastCore = { at, bytes };
  }

  record(media: MediaStats | null, core: CoreStats, at: number): void {
    const rate = this.#coreRate;
    const sample: StatsSample = {
      fps: media?.fps ?? null,
      bitrateKbps: media?.bitrateKbps ?? null,
      latencyMs: media?.latencyMs ?? null,
      coreKbps: rate ? (at - rate.at < CORE_REPORT_STALE_MS ? rate.kbps : 0) : null,
      epochTransitions: core.epochTransitions,
      dropped: (media?.dropped ?? 0) + core.framesDropped,
      undecryptable: media?.undecryptable ?? 0,
    };
    this.samples = [...this.samples, sample].slice(-HISTORY_LENGTH);
  }

  reset(): void {
    this.samples = [];
    this.#lastCore = null;
    this.#coreRate = null;
  }
}

/** Per-interval increases of a cumulative counter (never negative: a reset counts as zero). */
export function increments(values: readonly number[]): number[] {
  return values.slice(1).map((value, index) => Math.max(0, value - (values[index] ?? value)));
}
