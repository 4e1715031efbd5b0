/**
 * Deterministic segment names from mean z-scores, in the archetype language of DOMAIN.md.
 *
 * The rules read these conventional feature names (first alias present wins):
 *   recency        recency_days | recency | days_since_last_order   (days since last purchase; high = lapsed)
 *   frequency      frequency | orders | order_count                  (purchases in the window)
 *   monetary       monetary | spend | revenue                        (spend in the window)
 *   aov            aov | avg_order_value
 *   tenure         tenure_days | tenure | days_since_first_order
 *   discount       discount_share | discount_rate                    (share of spend bought on discount)
 *   overdue        overdue_ratio | cadence_break                     (time since last order ÷ usual gap; > 1 = late)
 *   margin         margin_rate | margin
 *   engagement     engagement | engagement_rate
 * A feature counts as "high" at z ≥ +0.4, "low" at z ≤ -0.4, "mid" at |z| ≤ 0.5. A rule applies
 * when all its features exist and all its conditions hold; among applicable rules the one whose
 * weakest key condition is strongest wins (ties: table order). Segments no rule fits get a
 * descriptive name from their two most distinguishing features ("High frequency / low recency").
 * Names are made unique within a run: the best-fitting segment keeps the plain name, the others
 * get a suffix naming the feature on which they differ most from it.
 */

export const FEATURE_ALIASES = {
  recency: ["recency_days", "recency", "days_since_last_order"],
  frequency: ["frequency", "orders", "order_count"],
  monetary: ["monetary", "spend", "revenue"],
  aov: ["aov", "avg_order_value"],
  tenure: ["tenure_days", "tenure", "days_since_first_order"],
  discount: ["discount_share", "discount_rate"],
  overdue: ["overdue_ratio", "cadence_break"],
  margin: ["margin_rate", "margin"],
  engagement: ["engagement", "engagement_rate"],
} as const satisfies Record<string, readonly string[]>;

export type ConventionalFeature = keyof typeof FEATURE_ALIASES;

export const ARCHETYPE_NAMES = [
  "Champions",
  "Premium Loyalists",
  "Dormant Loyalists",
  "Churn-Prone Spenders",
  "Medium-Recency High-Spenders",
  "High-Margin Infrequent",
  "Coupon-Driven Floaters",
  "New Customers",
  "Hibernating",
] as const;
export type ArchetypeName = (typeof ARCHETYPE_NAMES)[number];

const HIGH = 0.4;
const MID = 0.5;

type Condition = { feature: ConventionalFeature; is: "high" | "low" | "mid" | "notHigh" | "notLow"; key: boolean };

interface Rule {
  name: ArchetypeName;
  when: Condition[];
}

const key = (feature: ConventionalFeature, is: "high" | "low"): Condition => ({ feature, is, key: true });
const guard = (feature: ConventionalFeature, is: Condition["is"]): Condition => ({ feature, is, key: false });

const RULES: readonly Rule[] = [
  { name: "Champions", when: [key("recency", "low"), key("frequency", "high"), key("monetary", "high")] },
  { name: "Dormant Loyalists", when: [key("recency", "high"), key("frequency", "high")] },
  { name: "Churn-Prone Spenders", when: [key("overdue", "high"), key("monetary", "high")] },
  { name: "Medium-Recency High-Spenders", when: [key("monetary", "high"), guard("recency", "mid")] },
  { name: "High-Margin Infrequent", when: [key("margin", "high"), key("frequency", "low")] },
  { name: "Coupon-Driven Floaters", when: [key("discount", "high"), guard("frequency", "notHigh")] },
  { name: "New Customers", when: [key("tenure", "low"), key("frequency", "low"), guard("recency", "notHigh")] },
  { name: "Hibernating", when: [key("recency", "high"), key("frequency", "low"), guard("monetary", "notHigh")] },
];

export interface SegmentName {
  name: string;
  /** The archetype a rule matched, or null for a descriptive fallback name. */
  archetype: ArchetypeName | null;
  /** Strength of the match: the weakest key condition's margin in z units (0 for fallbacks). */
  score: number;
}

/** Resolves the conventional feature names present in `features` to column indices. */
export function resolveConventionalFeatures(features: readonly string[]): Partial<Record<ConventionalFeature, number>> {
  const lower = features.map((f) => f.toLowerCase());
  const out: Partial<Record<ConventionalFeature, number>> = {};
  for (const [concept, aliases] of Object.entries(FEATURE_ALIASES) as [ConventionalFeature, readonly string[]][]) {
    for (const alias of aliases) {
      const i = lower.indexOf(alias);
      if (i >= 0) {
        out[concept] = i;
        break;
      }
    }
  }
  return out;
}

function margin(z: number, is: Condition["is"]): number {
  switch (is) {
    case "high":
      return z - HIGH;
    case "low":
      return -z - HIGH;
    case "mid":
      return MID - Math.abs(z);
    case "notHigh":
      return HIGH - z;
    case "notLow":
      return z + HIGH;
  }
}

/** Names one profile, ignoring the other segments (no uniqueness). */
export function nameProfile(features: readonly string[], meanZ: ArrayLike<number>): SegmentName {
  const cols = resolveConventionalFeatures(features);
  let best: SegmentName | null = null;
  for (const rule of RULES) {
    let score = Infinity;
    let applies = true;
    for (const c of rule.when) {
      const col = cols[c.feature];
      if (col === undefined) {
        applies = false;
        break;
      }
      const m = margin(meanZ[col], c.is);
      if (m < 0) {
        applies = false;
        break;
      }
      if (c.key) score = Math.min(score, m);
    }
    if (applies && (best === null || score > best.score)) best = { name: rule.name, archetype: rule.name, score };
  }
  if (best !== null) {
    // Champions who also buy big baskets or high-margin goods are the premium end of the group.
    if (best.archetype === "Champions") {
      const premium = [cols.aov, cols.margin].some((col) => col !== undefined && meanZ[col] >= HIGH);
      if (premium) return { ...best, name: "Premium Loyalists", archetype: "Premium Loyalists" };
    }
    return best;
  }
  return { name: describe(features, meanZ), archetype: null, score: 0 };
}

/** "High frequency / low recency" from the two largest |z|; "Average profile" when nothing stands out. */
export function describe(features: readonly string[], meanZ: ArrayLike<number>): string {
  const order = features.map((_, i) => i).filter((i) => Math.abs(meanZ[i]) >= 0.25);
  order.sort((a, b) => Math.abs(meanZ[b]) - Math.abs(meanZ[a]) || a - b);
  if (order.length === 0) return "Average profile";
  const parts = order.slice(0, 2).map((i) => `${meanZ[i] >= 0 ? "high" : "low"} ${label(features[i])}`);
  const text = parts.join(" / ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Human label of a feature: conventional names get their concept's word, others lose underscores. */
export function label(feature: string): string {
  const lower = feature.toLowerCase();
  for (const [concept, aliases] of Object.entries(FEATURE_ALIASES)) {
    if ((aliases as readonly string[]).includes(lower)) return concept === "aov" ? "AOV" : concept;
  }
  return feature.replace(/_/g, " ");
}

/**
 * Names every segment of a run, unique within the run. `meanZ[i]` holds segment i's mean z-score
 * per column of `features`.
 */
export function nameSegments(features: readonly string[], meanZ: readonly ArrayLike<number>[]): SegmentName[] {
  const names = meanZ.map((z) => nameProfile(features, z));
  const groups = new Map<string, number[]>();
  names.forEach((n, i) => groups.set(n.name, [...(groups.get(n.name) ?? []), i]));
  const taken = new Set(names.map((n) => n.name));
  for (const [base, members] of groups) {
    if (members.length < 2) continue;
    // The best-fitting member keeps the plain name (ties: lower index).
    const keeper = [...members].sort((a, b) => names[b].score - names[a].score || a - b)[0];
    for (const i of members) {
      if (i === keeper) continue;
      const candidate = suffixed(base, features, meanZ[i], meanZ[keeper], taken);
      taken.add(candidate);
      names[i] = { ...names[i], name: candidate };
    }
  }
  return names;
}

function suffixed(
  base: string,
  features: readonly string[],
  z: ArrayLike<number>,
  reference: ArrayLike<number>,
  taken: ReadonlySet<string>,
): string {
  const order = features.map((_, i) => i);
  order.sort((a, b) => Math.abs(z[b] - reference[b]) - Math.abs(z[a] - reference[a]) || a - b);
  for (const i of order) {
    const candidate = `${base} (${z[i] >= reference[i] ? "higher" : "lower"} ${label(features[i])})`;
    if (!taken.has(candidate)) return candidate;
  }
  for (let n = 2; ; n++) if (!taken.has(`${base} #${n}`)) return `${base} #${n}`;
}
