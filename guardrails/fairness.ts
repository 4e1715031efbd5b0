import { z } from "zod";
import { PulseError } from "../core/errors.js";

/**
 * Fairness of a plan's offers across groups of a protected (or proxy) attribute, e.g. age_band or
 * region. Pure. For each group: selection rate (share of the group offered anything) and mean
 * discount depth among those offered. For each measure, the disparate-impact ratio is the lowest
 * group value over the highest; below the threshold (0.8, the four-fifths rule) the plan is flagged
 * for human review, naming the lowest and highest groups. Groups smaller than minGroupSize are
 * reported but left out of the ratios (their rates are noise).
 *
 * Protected attributes are measured here and nowhere else: they are never model features.
 * assertNoProtectedFeatures() is the check a model-building tool runs on its feature list.
 */

export const fairnessConfigSchema = z.object({
  threshold: z.number().gt(0).max(1).default(0.8),
  minGroupSize: z.number().int().min(1).default(30),
  /** Label for customers whose attribute value is missing. */
  unknownGroup: z.string().default("(unknown)"),
});
export type FairnessConfig = z.infer<typeof fairnessConfigSchema>;
export type FairnessConfigInput = z.input<typeof fairnessConfigSchema>;

export interface FairnessSubject {
  /** The customer's attribute values, e.g. { age_band: "25-34", region: "north" }. */
  attributes: Record<string, string | null | undefined>;
  offered: boolean;
  /** Discount depth offered, 0..1 (0 when not offered). */
  discount: number;
}

export interface GroupStats {
  group: string;
  size: number;
  offered: number;
  selectionRate: number;
  /** Mean discount among those offered; null when nobody in the group was offered. */
  meanDiscount: number | null;
  /** Below minGroupSize: not used for the ratios. */
  tooSmall: boolean;
}

export interface DisparityMeasure {
  measure: "selection_rate" | "mean_discount";
  /** min/max over judged groups; 1 when there is nothing to compare (fewer than two groups, or all zero). */
  ratio: number;
  lowest: { group: string; value: number } | null;
  highest: { group: string; value: number } | null;
  flagged: boolean;
}

export interface AttributeFairness {
  attribute: string;
  groups: GroupStats[];
  selection: DisparityMeasure;
  discount: DisparityMeasure;
  flagged: boolean;
  /** One sentence per flagged measure, naming the groups. */
  reasons: string[];
}

export interface FairnessReport {
  passed: boolean;
  threshold: number;
  attributes: AttributeFairness[];
  reasons: string[];
}

export function assessFairness(
  subjects: readonly FairnessSubject[],
  attributes: readonly string[],
  configInput: FairnessConfigInput = {},
): FairnessReport {
  const config = fairnessConfigSchema.parse(configInput);
  const results = attributes.map((a) => assessAttribute(subjects, a, config));
  const reasons = results.flatMap((r) => r.reasons);
  return { passed: reasons.length === 0, threshold: config.threshold, attributes: results, reasons };
}

function assessAttribute(subjects: readonly FairnessSubject[], attribute: string, config: FairnessConfig): AttributeFairness {
  const acc = new Map<string, { size: number; offered: number; discountSum: number }>();
  for (const s of subjects) {
    const raw = s.attributes[attribute];
    const group = raw === null || raw === undefined || raw === "" ? config.unknownGroup : raw;
    const g = acc.get(group) ?? { size: 0, offered: 0, discountSum: 0 };
    g.size += 1;
    if (s.offered) {
      g.offered += 1;
      g.discountSum += Number.isFinite(s.discount) ? s.discount : 0;
    }
    acc.set(group, g);
  }
  const groups: GroupStats[] = [...acc.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([group, g]) => ({
      group,
      size: g.size,
      offered: g.offered,
      selectionRate: g.offered / g.size,
      meanDiscount: g.offered > 0 ? g.discountSum / g.offered : null,
      tooSmall: g.size < config.minGroupSize,
    }));
  const judged = groups.filter((g) => !g.tooSmall);
  const selection = disparity(
    "selection_rate",
    judged.map((g) => ({ group: g.group, value: g.selectionRate })),
    config.threshold,
  );
  const discount = disparity(
    "mean_discount",
    judged.filter((g) => g.meanDiscount !== null).map((g) => ({ group: g.group, value: g.meanDiscount! })),
    config.threshold,
  );
  const reasons: string[] = [];
  for (const m of [selection, discount]) {
    if (!m.flagged) continue;
    const what = m.measure === "selection_rate" ? "selection rate (share offered)" : "mean discount depth";
    reasons.push(
      `${attribute}: ${what} ratio ${m.ratio.toFixed(2)} is below ${config.threshold}: lowest "${m.lowest!.group}" (${fmt(m.lowest!.value)}), highest "${m.highest!.group}" (${fmt(m.highest!.value)})`,
    );
  }
  return { attribute, groups, selection, discount, flagged: reasons.length > 0, reasons };
}

function disparity(measure: DisparityMeasure["measure"], values: { group: string; value: number }[], threshold: number): DisparityMeasure {
  if (values.length < 2) return { measure, ratio: 1, lowest: values[0] ?? null, highest: values[0] ?? null, flagged: false };
  let lowest = values[0]!;
  let highest = values[0]!;
  for (const v of values) {
    if (v.value < lowest.value) lowest = v;
    if (v.value > highest.value) highest = v;
  }
  const ratio = highest.value === 0 ? 1 : lowest.value / highest.value;
  return { measure, ratio, lowest, highest, flagged: ratio < threshold };
}

function fmt(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}

/** A guardrail verdict (as the audit log and the approval policy take it) from a fairness report. */
export function fairnessVerdict(
  report: FairnessReport,
  subject: string,
): { check: "fairness"; subject: string; passed: boolean; reasons: string[]; details: Record<string, unknown> } {
  return {
    check: "fairness",
    subject,
    passed: report.passed,
    reasons: report.reasons,
    details: Object.fromEntries(
      report.attributes.map((a) => [
        a.attribute,
        { selectionRatio: round(a.selection.ratio), discountRatio: round(a.discount.ratio), groups: a.groups.length },
      ]),
    ),
  };
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

// ---------------------------------------------------------------------------------------------
// Protected attributes are never model features.

export const DEFAULT_PROTECTED_ATTRIBUTES = [
  "age",
  "age_band",
  "date_of_birth",
  "gender",
  "sex",
  "ethnicity",
  "race",
  "religion",
  "disability",
  "sexual_orientation",
  "marital_status",
  "pregnancy",
  "nationality",
] as const;

export const protectedAttributesSchema = z.array(z.string().min(1)).default([...DEFAULT_PROTECTED_ATTRIBUTES]);

/** A model's feature list names a protected attribute. A bug, never retried. */
export class ProtectedFeatureError extends PulseError {
  readonly features: string[];
  constructor(features: string[]) {
    super("PROTECTED_FEATURE", `protected attributes may not be model features: ${features.join(", ")}`);
    this.features = features;
  }
}

const normalise = (s: string) =>
  s
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, "_");

/**
 * The features that are, or encode, a protected attribute: the name equals it (case, spaces and
 * hyphens ignored), or is a one-hot / nested encoding of it: the attribute followed by "=", ":",
 * ".", "[" or "__" (age_band=18-24, gender__f, attributes.gender).
 */
export function protectedFeaturesIn(
  features: readonly string[],
  protectedAttributes: readonly string[] = DEFAULT_PROTECTED_ATTRIBUTES,
): string[] {
  const list = protectedAttributes.map(normalise);
  return features.filter((f) => {
    const n = normalise(f);
    const bare = n.startsWith("attributes.") ? n.slice("attributes.".length) : n;
    return list.some((p) => bare === p || ["=", ":", ".", "[", "__"].some((sep) => bare.startsWith(p + sep)));
  });
}

export function assertNoProtectedFeatures(
  features: readonly string[],
  protectedAttributes: readonly string[] = DEFAULT_PROTECTED_ATTRIBUTES,
): void {
  const found = protectedFeaturesIn(features, protectedAttributes);
  if (found.length > 0) throw new ProtectedFeatureError(found);
}
