import { InputError } from "../core/errors.js";
import { hungarian } from "./segment-hungarian.js";
import { round } from "./segment-profile.js";

/**
 * Stable segment ids across refreshes.
 *
 * 1. New centroids are matched to the previous run's centroids (same standardized feature space)
 *    by a minimum-total-distance assignment (Hungarian); pairs farther apart than
 *    `maxMatchDistance` (Euclidean, z units) are not matches.
 * 2. Customer transitions old → new come from the previous memberships when given; otherwise from
 *    re-assigning today's customers to the previous centroids (what the old model would say now).
 * 3. An unmatched new segment that received most (≥ mergeShare) of an unmatched old segment's
 *    customers inherits that id (the centroid drifted but the people stayed).
 * 4. A new segment that received most of two or more old segments' customers is a merge; an old
 *    segment whose customers went in shares ≥ splitShare to two or more new segments is a split.
 * 5. Remaining new segments are births with fresh ids (`<prefix><n>`, n never reused); remaining
 *    old segments are deaths ("merged" when part of a merge, else "vanished").
 */

export interface PreviousSegment {
  id: string;
  /** Centroid in the previous run's standardized space, one value per `features` entry. */
  centroid: readonly number[];
}

export interface PreviousSegmentation {
  features: readonly string[];
  segments: readonly PreviousSegment[];
  /** Customer id → previous segment id. Optional; enables membership-based transitions. */
  assignments?: Readonly<Record<string, string>> | ReadonlyMap<string, string>;
  /** The previous run's `identity.nextIdNumber`, so ids of dead segments are never reused. */
  nextIdNumber?: number;
  /** The previous run's column means/stds (over `features`), to map its centroids into today's z-space. */
  standardization?: { mean: readonly number[]; std: readonly number[] } | null;
}

export interface IdentityOptions {
  maxMatchDistance: number;
  mergeShare: number;
  splitShare: number;
  idPrefix: string;
}

/** Customer counts between previous (rows) and new (columns) segments. */
export interface TransitionCounts {
  basis: "memberships" | "previous-centroids";
  /** m × k, row-major: counts[i * k + j] customers moved from old i to new j. */
  counts: Float64Array;
  /** Per new segment: customers with no previous membership. */
  entered: Float64Array;
  /** Per old segment: previous members absent from this run. */
  left: Float64Array;
}

export interface IdentityReport {
  matched: { id: string; distance: number }[];
  births: string[];
  deaths: { id: string; reason: "vanished" | "merged"; into: string | null }[];
  merges: { into: string; from: string[] }[];
  splits: { from: string; into: string[] }[];
  transitions: {
    basis: "memberships" | "previous-centroids";
    from: string[];
    to: string[];
    /** counts[i][j]: customers from previous segment from[i] now in segment to[j]. */
    counts: number[][];
    entered: number[];
    left: number[];
  } | null;
  /** Share of customers seen in both runs whose segment id did not change; null on a first run. */
  stability: number | null;
  nextIdNumber: number;
}

/** Previous centroids re-ordered to the current feature order, as an m × d matrix. */
export function alignPreviousCentroids(features: readonly string[], previous: PreviousSegmentation): Float64Array {
  const d = features.length;
  const where = features.map((f) => previous.features.indexOf(f));
  const missing = features.filter((_, t) => where[t] < 0);
  if (missing.length > 0) throw new InputError(`previous segmentation lacks features: ${missing.join(", ")}`);
  const seen = new Set<string>();
  const out = new Float64Array(previous.segments.length * d);
  previous.segments.forEach((s, i) => {
    if (seen.has(s.id)) throw new InputError(`previous segmentation repeats segment id ${s.id}`);
    seen.add(s.id);
    if (s.centroid.length !== previous.features.length) {
      throw new InputError(`previous segment ${s.id} has ${s.centroid.length} centroid values for ${previous.features.length} features`);
    }
    for (let t = 0; t < d; t++) out[i * d + t] = s.centroid[where[t]];
  });
  return out;
}

/** Transitions from previous memberships; one pass over current ids plus one over the previous map. */
export function transitionsFromMemberships(
  ids: readonly string[],
  labels: Int32Array,
  k: number,
  previous: PreviousSegmentation,
): TransitionCounts {
  const m = previous.segments.length;
  const oldIndex = new Map(previous.segments.map((s, i) => [s.id, i] as const));
  const assignments = previous.assignments;
  if (assignments === undefined) throw new InputError("previous memberships are required for membership transitions");
  const lookup: (id: string) => string | undefined =
    assignments instanceof Map
      ? (id) => (assignments as ReadonlyMap<string, string>).get(id)
      : (id) => (Object.hasOwn(assignments, id) ? (assignments as Readonly<Record<string, string>>)[id] : undefined);
  const counts = new Float64Array(m * k);
  const entered = new Float64Array(k);
  for (let r = 0; r < ids.length; r++) {
    const old = lookup(ids[r]);
    const i = old === undefined ? undefined : oldIndex.get(old);
    if (i === undefined) entered[labels[r]]++;
    else counts[i * k + labels[r]]++;
  }
  const previousTotals = new Float64Array(m);
  const values = assignments instanceof Map ? assignments.values() : Object.values(assignments);
  for (const seg of values) {
    const i = oldIndex.get(seg);
    if (i !== undefined) previousTotals[i]++;
  }
  const left = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let stayed = 0;
    for (let j = 0; j < k; j++) stayed += counts[i * k + j];
    left[i] = previousTotals[i] - stayed;
  }
  return { basis: "memberships", counts, entered, left };
}

/** Transitions when only previous centroids are known: `oldLabels` = nearest previous centroid per row. */
export function transitionsFromCentroids(oldLabels: Int32Array, labels: Int32Array, m: number, k: number): TransitionCounts {
  const counts = new Float64Array(m * k);
  for (let r = 0; r < labels.length; r++) counts[oldLabels[r] * k + labels[r]]++;
  return { basis: "previous-centroids", counts, entered: new Float64Array(k), left: new Float64Array(m) };
}

/** Assigns ids to the k new segments and reports what happened since the previous run. */
export function resolveIdentity(
  newCenters: Float64Array,
  k: number,
  d: number,
  previous: PreviousSegmentation | null,
  previousCenters: Float64Array | null,
  transitions: TransitionCounts | null,
  options: IdentityOptions,
): { ids: string[]; report: IdentityReport } {
  const oldIds = previous?.segments.map((s) => s.id) ?? [];
  const m = oldIds.length;
  let nextNumber = Math.max(1, previous?.nextIdNumber ?? 1, ...oldIds.map((id) => numericSuffix(id, options.idPrefix) + 1));
  const taken = new Set(oldIds);
  const fresh = (): string => {
    while (taken.has(`${options.idPrefix}${nextNumber}`)) nextNumber++;
    const id = `${options.idPrefix}${nextNumber++}`;
    taken.add(id);
    return id;
  };

  const ids = new Array<string | null>(k).fill(null);
  const oldTaken = new Uint8Array(m);
  const matched: IdentityReport["matched"] = [];
  if (m > 0 && previousCenters !== null) {
    const dist = Array.from({ length: k }, (_, j) => Array.from({ length: m }, (_, i) => distance(newCenters, j, previousCenters, i, d)));
    const assignment = hungarian(dist);
    for (let j = 0; j < k; j++) {
      const i = assignment[j];
      if (i >= 0 && dist[j][i] <= options.maxMatchDistance) {
        ids[j] = oldIds[i];
        oldTaken[i] = 1;
        matched.push({ id: oldIds[i], distance: round(dist[j][i]) });
      }
    }
  }

  const rowTotal = new Float64Array(m);
  if (transitions !== null) {
    for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) rowTotal[i] += transitions.counts[i * k + j];
  }
  const share = (i: number, j: number): number =>
    transitions !== null && rowTotal[i] > 0 ? transitions.counts[i * k + j] / rowTotal[i] : 0;

  if (transitions !== null) {
    for (let j = 0; j < k; j++) {
      if (ids[j] !== null) continue;
      let heir = -1;
      for (let i = 0; i < m; i++) {
        if (oldTaken[i] || share(i, j) < options.mergeShare) continue;
        if (heir === -1 || transitions.counts[i * k + j] > transitions.counts[heir * k + j]) heir = i;
      }
      if (heir >= 0) {
        ids[j] = oldIds[heir];
        oldTaken[heir] = 1;
        matched.push({ id: oldIds[heir], distance: round(distance(newCenters, j, previousCenters as Float64Array, heir, d)) });
      }
    }
  }

  const births: string[] = [];
  for (let j = 0; j < k; j++) {
    if (ids[j] === null) {
      ids[j] = fresh();
      births.push(ids[j] as string);
    }
  }
  const finalIds = ids as string[];

  const merges: IdentityReport["merges"] = [];
  const splits: IdentityReport["splits"] = [];
  const mergedInto = new Map<number, string>();
  if (transitions !== null) {
    for (let j = 0; j < k; j++) {
      const from: number[] = [];
      for (let i = 0; i < m; i++) if (share(i, j) >= options.mergeShare) from.push(i);
      if (from.length >= 2) {
        merges.push({ into: finalIds[j], from: from.map((i) => oldIds[i]) });
        for (const i of from) mergedInto.set(i, finalIds[j]);
      }
    }
    for (let i = 0; i < m; i++) {
      const into: string[] = [];
      for (let j = 0; j < k; j++) if (share(i, j) >= options.splitShare) into.push(finalIds[j]);
      if (into.length >= 2) splits.push({ from: oldIds[i], into });
    }
  }

  const deaths: IdentityReport["deaths"] = [];
  for (let i = 0; i < m; i++) {
    if (oldTaken[i]) continue;
    const into = mergedInto.get(i) ?? null;
    deaths.push({ id: oldIds[i], reason: into === null ? "vanished" : "merged", into });
  }

  let report: IdentityReport["transitions"] = null;
  let stability: number | null = null;
  if (transitions !== null) {
    let same = 0;
    let total = 0;
    const counts: number[][] = [];
    for (let i = 0; i < m; i++) {
      const row: number[] = [];
      for (let j = 0; j < k; j++) {
        const c = transitions.counts[i * k + j];
        row.push(c);
        total += c;
        if (oldIds[i] === finalIds[j]) same += c;
      }
      counts.push(row);
    }
    stability = total > 0 ? round(same / total) : null;
    report = {
      basis: transitions.basis,
      from: oldIds,
      to: finalIds,
      counts,
      entered: Array.from(transitions.entered),
      left: Array.from(transitions.left),
    };
  }

  return {
    ids: finalIds,
    report: { matched, births, deaths, merges, splits, transitions: report, stability, nextIdNumber: nextNumber },
  };
}

function distance(a: Float64Array, i: number, b: Float64Array, j: number, d: number): number {
  let s = 0;
  for (let t = 0; t < d; t++) {
    const diff = a[i * d + t] - b[j * d + t];
    s += diff * diff;
  }
  return Math.sqrt(s);
}

function numericSuffix(id: string, prefix: string): number {
  if (!id.startsWith(prefix)) return 0;
  const rest = id.slice(prefix.length);
  return /^\d+$/.test(rest) ? Number(rest) : 0;
}

/** The customers who changed segment between two runs, and the largest flows between segments. */
export interface MigrationSummary {
  /** Customers seen in both runs whose segment id changed. */
  moved: number;
  /** Customers new in this run, and previous members absent from it. */
  entered: number;
  left: number;
  /** The `top` largest flows between different segment ids, largest first (ties by ids). */
  flows: { from: string; to: string; customers: number }[];
}

/** Migrations from an identity report's transitions; null on a first run (no previous segmentation). */
export function migrationSummary(transitions: IdentityReport["transitions"], top = 5): MigrationSummary | null {
  if (transitions === null) return null;
  let moved = 0;
  const flows: MigrationSummary["flows"] = [];
  transitions.counts.forEach((row, i) =>
    row.forEach((customers, j) => {
      const from = transitions.from[i]!;
      const to = transitions.to[j]!;
      if (from === to || customers <= 0) return;
      moved += customers;
      flows.push({ from, to, customers });
    }),
  );
  flows.sort((a, b) => b.customers - a.customers || a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
  const total = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);
  return { moved, entered: total(transitions.entered), left: total(transitions.left), flows: flows.slice(0, Math.max(0, top)) };
}
