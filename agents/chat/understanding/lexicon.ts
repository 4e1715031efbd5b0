import { CATEGORIES, CHANNELS } from "../../../ingest/formats.js";
import { STRATEGIES } from "../../../tools/targeting.js";
import { ARCHETYPE_NAMES } from "../../../tools/segment-naming.js";

/**
 * The words marketers use for Pulse's fixed vocabularies (channels, categories, strategies,
 * audiences). Each entry is a regular expression over normalized (lower-case, typo-corrected) text.
 */

export type Channel = (typeof CHANNELS)[number];
export type Category = (typeof CATEGORIES)[number];
export type StrategyName = (typeof STRATEGIES)[number];

export const CHANNEL_WORDS: Record<Channel, RegExp> = {
  email: /\b(e-?mail(?:s|ed|ing)?|newsletters?|mail(?:ing|ed)?s?|inbox)\b/,
  sms: /\b(sms(?:es|ed)?|texts?|texted|text messages?|texting)\b/,
  push: /\b(push(?:es)?|push notifications?|notifications?)\b/,
  in_app: /\b(in[-_ ]?app|app messages?|in the app)\b/,
};

export const CATEGORY_WORDS: Record<Category, RegExp> = {
  apparel: /\b(apparel|cloth(?:es|ing)|fashion|garments?|outfits?|wear)\b/,
  beauty: /\b(beauty|cosmetics?|skin ?care|make-?up|fragrances?|perfumes?)\b/,
  electronics: /\b(electronics?|gadgets?|tech|devices?|headphones|laptops?|phones?)\b/,
  grocery: /\b(grocer(?:y|ies)|food|foods|pantry|produce|supermarket)\b/,
  home: /\b(home(?:ware|wares)?(?: goods)?|household|furniture|kitchen(?:ware)?|decor|homegoods)\b/,
  sports: /\b(sports?|sporting goods|fitness|outdoors?|athletic|gym)\b/,
  toys: /\b(toys?|games?|kids'? stuff)\b/,
  books: /\b(books?|reading|novels?|bookshop)\b/,
};

/** Checked in order: the first that matches wins (explicit strategy names before looser promo words). */
export const STRATEGY_WORDS: Array<[StrategyName, RegExp]> = [
  ["winback", /\b(win[- ]?ba?c?ks?|winning back|(?:bring|win|get|lure|tempt|entice|coax|woo|draw) (?:[\w'-]+ ){0,5}back)\b/],
  ["cross_sell", /\b(cross[- ]?sell(?:ing)?|crosssell|upsell(?:ing)?|sell (?:[\w'-]+ ){0,3}more)\b/],
  ["reengage", /\b(re-?engage(?:ment)?|reengag\w*|re-?activat\w*|wake (?:[\w'-]+ ){0,3}up|warm (?:[\w'-]+ ){0,3}up)\b/],
  ["cooldown", /\b(cool[- ]?down|cool (?:[\w'-]+ ){0,3}off|rest|ease off|give (?:[\w'-]+ ){0,3}a break|breather|back off)\b/],
  [
    "suppress",
    /\b(suppress(?:ion)?|(?:stop|quit|cease|halt|hold off on) (?:contacting|messaging|targeting|e-?mailing|texting|mailing|sending (?:[\w'-]+ ){0,2}to)|no more (?:messages|e-?mails|texts|sms|offers|sends|notifications|pushes) (?:to|for)|leave (?:[\w'-]+ ){0,3}alone|(?:do not|don'?t|never) (?:contact|message|target|e-?mail|text|send (?:[\w'-]+ ){0,2}to)|exclude|keep (?:[\w'-]+ ){0,4}out of)\b/,
  ],
  ["targeted_promo", /\b(targeted[- ]promos?|promos?|promotions?|promotional|sales?|deals?|coupons?|offers?)\b/],
];

/** Audience filters a brief can name, mapped onto segment properties by the brief mapping. */
export const AUDIENCE_FILTERS = ["lapsed", "high_value", "new", "promo_sensitive", "disengaged", "loyal"] as const;
export type AudienceFilter = (typeof AUDIENCE_FILTERS)[number];

export const FILTER_WORDS: Record<AudienceFilter, RegExp> = {
  lapsed:
    /\b(lapsed|lapsing|churned|churning|inactive|haven'?t (?:bought|purchased|ordered)|stopped (?:buying|shopping)|gone quiet|former)\b/,
  high_value:
    /\b(high[- ]?value|high[- ]?spend(?:ing|ers)?|big spenders?|vips?|top (?:customers|spenders|buyers)|best customers|valuable)\b/,
  new: /\b(new(?:ly acquired)? (?:customers|shoppers|buyers)|newcomers|first[- ]time (?:buyers|customers|shoppers))\b/,
  promo_sensitive: /\b(promo[- ]sensitive|deal[- ]seekers?|bargain hunters?|discount[- ]driven|coupon (?:lovers|users))\b/,
  disengaged: /\b(disengaged|unengaged|not engaging|unresponsive|dormant)\b/,
  loyal: /\b(loyal(?:ists)?|regulars|repeat (?:customers|buyers))\b/,
};

/** Archetype names (tools/segment-naming.ts) as a marketer may write them: any case, singular, hyphens or not. */
export const ARCHETYPE_WORDS: Array<[string, RegExp]> = ARCHETYPE_NAMES.map((name) => {
  const words = name
    .toLowerCase()
    .split(/[\s-]+/)
    .map((w) => w.replace(/s$/, "") + "s?");
  return [name, new RegExp(`\\b${words.join("[\\s-]+")}\\b`)];
});

/** Words the typo corrector may snap to, besides the training corpus. */
export const KEYWORDS = [
  "approve",
  "reject",
  "segments",
  "segment",
  "cycle",
  "campaign",
  "customer",
  "pause",
  "resume",
  "export",
  "verify",
  "audit",
  "discount",
  "percent",
  "email",
  "push",
  "lapsed",
  "grocery",
  "groceries",
  "apparel",
  "electronics",
  "beauty",
  "books",
  "sports",
  "toys",
  "home",
  "winback",
  "cross-sell",
  "re-engage",
  "cooldown",
  "suppress",
  "promo",
  "shoppers",
  "customers",
  "budget",
  "results",
  "deliver",
  "explain",
  "notifications",
  "loyalists",
  "champions",
  "hibernating",
  "premium",
  "tomorrow",
  "monday",
  "tuesday",
  "wednesday",
  "thursday",
  "friday",
  "saturday",
  "sunday",
  "quarter",
  "month",
  "week",
  "because",
  "until",
  // words of the lexicon above, so the corrector never "corrects" them into corpus words
  ...Object.values({ CHANNEL_WORDS, CATEGORY_WORDS, FILTER_WORDS })
    .flatMap((table) => Object.values(table))
    .flatMap((re) => re.source.match(/[a-z]{4,}/g) ?? []),
  ...STRATEGY_WORDS.flatMap(([, re]) => re.source.match(/[a-z]{4,}/g) ?? []),
  // the date words dates.ts reads, so "ending tomorrow" is not "corrected" into "pending tomorrow"
  ...["ending", "ends", "starting", "beginning", "through", "till", "after", "before", "since", "from", "tomorrow", "today", "tonight"],
  ...["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "weekend", "fortnight", "quarter"],
  ...["january", "february", "march", "april", "june", "july", "august", "september", "october", "november", "december"],
  "churned",
  "lapsing",
  "proposal",
  "shoppers",
  "buyers",
];
