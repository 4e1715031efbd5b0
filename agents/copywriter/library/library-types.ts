import type { ChannelFields } from "../../../guardrails/content-qa-channels.js";
import type { Channel } from "../../../ingest/formats.js";

/** What a library entry may vary on: the approved discount (null: none) and the brand's name. */
export interface LibraryContext {
  /** The approved discount as written in copy ("15" for 0.15), or null when no discount is approved. */
  pct: string | null;
  brand: string;
}

export type LibraryEntry<C extends Channel> = (o: LibraryContext) => ChannelFields<C>;

/**
 * Entries of one strategy per channel. Variant ids are positional (`<strategy>.<channel>.<n>`, from 1),
 * so entries are only ever appended: a customer's last variant id must keep meaning the same text.
 */
export type StrategyLibrary = { [C in Channel]: readonly LibraryEntry<C>[] };

/** An email body: the given paragraphs, the offer code line when there is an offer, sign-off, unsubscribe link. */
export function emailBody(o: LibraryContext, paragraphs: readonly string[], codeLine?: string): string {
  const parts = ["Hi {{first_name}},", ...paragraphs];
  if (o.pct) parts.push(codeLine ?? `Use code {{offer_code}} at checkout for ${o.pct}% off.`);
  parts.push(`The ${o.brand} team`, "Not for you any more? Unsubscribe: {{unsubscribe_url}}");
  return parts.join("\n\n");
}
