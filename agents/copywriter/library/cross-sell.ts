import { type StrategyLibrary, emailBody } from "./library-types.js";

/**
 * Loyal customers of one category: {{category}} is the recommended category they have not tried yet;
 * the last entry of each channel names the product recommended for the customer ({{product}}, from
 * tools/recommend.ts).
 */
export const crossSellLibrary: StrategyLibrary = {
  email: [
    (o) => ({
      subject: o.pct ? `{{first_name}}, try {{category}} for ${o.pct}% less` : "{{first_name}}, have you tried {{category}}?",
      preheader: o.pct ? "Something new, picked to go with what you love." : "Something new, picked to go with what you love.",
      body: emailBody(o, ["Shoppers like you often love our {{category}} range too. We picked a few to start with."]),
      cta: o.pct ? "Try it for less" : "Discover {{category}}",
    }),
    (o) => ({
      subject: o.pct ? `New to you: {{category}}, ${o.pct}% off` : "New to you: {{category}}",
      preheader: o.pct ? "{{first_name}}, a first-time offer on {{category}}." : "{{first_name}}, a few picks to get you started.",
      body: emailBody(o, ["You know us for your regular favourites. Here's a first look at our {{category}}, chosen for you."]),
      cta: o.pct ? "Start with my code" : "Get started",
    }),
    (o) => ({
      subject: o.pct ? `Goes well with your usual: ${o.pct}% off` : "Goes well with your usual, {{first_name}}",
      preheader: o.pct ? "Our {{category}} pairs nicely with what you buy." : "Our {{category}} pairs nicely with what you buy.",
      body: emailBody(o, ["Our {{category}} pairs nicely with the things you already buy. Here are a few easy ones to try."]),
      cta: o.pct ? "Try with my code" : "See the pairings",
    }),
    (o) => ({
      subject: o.pct ? `{{first_name}}, ${o.pct}% off something new` : "{{first_name}}, something new for you",
      preheader: o.pct ? "A welcome offer on {{category}}." : "Our {{category}} range, hand-picked.",
      body: emailBody(o, ["Fancy something different? Our {{category}} range has a few hand-picked things we think you'll enjoy."]),
      cta: o.pct ? "Claim my offer" : "See something new",
    }),
    (o) => ({
      subject: o.pct ? `Your first {{category}} order: ${o.pct}% off` : "Your first {{category}} pick is waiting",
      preheader: o.pct ? "{{first_name}}, a code to make the first one easy." : "{{first_name}}, we made choosing easy.",
      body: emailBody(o, ["Choosing your first {{category}} can take a while, so we shortlisted the ones our regulars rate best."]),
      cta: o.pct ? "Use my code" : "See the shortlist",
    }),
    (o) => ({
      subject: o.pct ? `Explore {{category}}: ${o.pct}% off for you` : "Explore {{category}}, {{first_name}}",
      preheader: o.pct ? "Picked for you, with a code to match." : "Picked for you, based on what you love.",
      body: emailBody(o, ["Based on what you love, we think our {{category}} range is worth a look."]),
      cta: o.pct ? "Explore and save" : "Explore",
    }),
    (o) => ({
      subject: o.pct ? `{{first_name}}, {{product}} is ${o.pct}% off for you` : "{{first_name}}, we think you'll like {{product}}",
      preheader: o.pct ? "Picked from what shoppers like you buy next." : "Picked from what shoppers like you buy next.",
      body: emailBody(o, ["Shoppers who buy what you buy often pick {{product}} from our {{category}} range next. We think it suits you."]),
      cta: o.pct ? "Get it for less" : "See {{product}}",
    }),
  ],
  sms: [
    (o) => ({
      text: o.pct
        ? `{{first_name}}, have you tried our {{category}}? Get ${o.pct}% off your first with {{offer_code}}.`
        : "{{first_name}}, have you tried our {{category}}? We picked a few to start with.",
    }),
    (o) => ({
      text: o.pct
        ? `New to you: {{category}}. {{first_name}}, take ${o.pct}% off with code {{offer_code}}.`
        : "New to you: {{category}}. {{first_name}}, see our picks in the app.",
    }),
    (o) => ({
      text: o.pct
        ? `{{first_name}}, our {{category}} goes well with your usual. ${o.pct}% off: {{offer_code}}.`
        : "{{first_name}}, our {{category}} goes well with your usual. Take a look.",
    }),
    (o) => ({
      text: o.pct
        ? `Something new, {{first_name}}? ${o.pct}% off {{category}} with {{offer_code}} this week.`
        : "Something new, {{first_name}}? Our {{category}} picks are in the app.",
    }),
    (o) => ({
      text: o.pct
        ? `{{first_name}}, your first {{category}} order is ${o.pct}% off with code {{offer_code}}.`
        : "{{first_name}}, we shortlisted the {{category}} our regulars rate best.",
    }),
    (o) => ({
      text: o.pct
        ? `Explore {{category}}, {{first_name}}: ${o.pct}% off with {{offer_code}}.`
        : "Explore {{category}}, {{first_name}}: picked for you, based on what you love.",
    }),
    (o) => ({
      text: o.pct
        ? `{{first_name}}, picked for you: {{product}}, ${o.pct}% off with {{offer_code}}.`
        : "{{first_name}}, picked for you from our {{category}}: {{product}}.",
    }),
  ],
  push: [
    (o) => ({
      title: o.pct ? `Try {{category}}: ${o.pct}% off` : "Have you tried {{category}}?",
      body: o.pct ? "{{first_name}}, your first pick is cheaper with {{offer_code}}." : "{{first_name}}, we picked a few to start with.",
    }),
    (o) => ({
      title: o.pct ? `New to you: ${o.pct}% off` : "New to you: {{category}}",
      body: o.pct ? "{{first_name}}, try {{category}} with code {{offer_code}}." : "{{first_name}}, a few picks to get you started.",
    }),
    (o) => ({
      title: o.pct ? `Goes with your usual: ${o.pct}% off` : "Goes well with your usual",
      body: o.pct
        ? "{{first_name}}, try our {{category}}. Code {{offer_code}}."
        : "{{first_name}}, our {{category}} pairs nicely. Tap to see.",
    }),
    (o) => ({
      title: o.pct ? `{{first_name}}, ${o.pct}% off new picks` : "{{first_name}}, something new",
      body: o.pct ? "Hand-picked {{category}} for you. Use {{offer_code}}." : "Hand-picked {{category}} we think you'll enjoy.",
    }),
    (o) => ({
      title: o.pct ? `First {{category}}? ${o.pct}% off` : "Your first {{category}} pick",
      body: o.pct ? "{{first_name}}, code {{offer_code}} makes it easy." : "{{first_name}}, we shortlisted the best-rated ones.",
    }),
    (o) => ({
      title: o.pct ? `Explore {{category}}: ${o.pct}% off` : "Explore {{category}}",
      body: o.pct ? "{{first_name}}, picked for you. Code {{offer_code}}." : "{{first_name}}, picked for you, based on what you love.",
    }),
    (o) => ({
      title: o.pct ? `{{product}}: ${o.pct}% off` : "Picked for you: {{product}}",
      body: o.pct ? "{{first_name}}, it goes with what you buy. Code {{offer_code}}." : "{{first_name}}, it goes with what you buy.",
    }),
  ],
  in_app: [
    (o) => ({
      title: o.pct ? `Try {{category}}: ${o.pct}% off` : "Have you tried {{category}}?",
      body: o.pct
        ? "{{first_name}}, shoppers like you love our {{category}}. Code {{offer_code}} takes it off."
        : "{{first_name}}, shoppers like you love our {{category}}. We picked a few.",
      cta: o.pct ? "Try it" : "Discover",
    }),
    (o) => ({
      title: o.pct ? `New to you: ${o.pct}% off` : "New to you: {{category}}",
      body: o.pct
        ? "{{first_name}}, a first look at our {{category}}, with code {{offer_code}}."
        : "{{first_name}}, a first look at our {{category}}, chosen for you.",
      cta: o.pct ? "Start now" : "Get started",
    }),
    (o) => ({
      title: o.pct ? `Goes with your usual: ${o.pct}% off` : "Goes well with your usual",
      body: o.pct
        ? "Our {{category}} pairs nicely with what you buy. Use {{offer_code}}."
        : "Our {{category}} pairs nicely with what you buy, {{first_name}}.",
      cta: o.pct ? "See pairings" : "See pairings",
    }),
    (o) => ({
      title: o.pct ? `{{first_name}}, ${o.pct}% off new picks` : "{{first_name}}, something new",
      body: o.pct
        ? "Fancy something different? Hand-picked {{category}} with code {{offer_code}}."
        : "Fancy something different? Hand-picked {{category}} for you.",
      cta: o.pct ? "Claim offer" : "See something new",
    }),
    (o) => ({
      title: o.pct ? `First {{category}}? ${o.pct}% off` : "Your first {{category}} pick",
      body: o.pct
        ? "{{first_name}}, we shortlisted the best-rated {{category}}. Code {{offer_code}}."
        : "{{first_name}}, we shortlisted the {{category}} our regulars rate best.",
      cta: o.pct ? "See shortlist" : "See shortlist",
    }),
    (o) => ({
      title: o.pct ? `Explore {{category}}: ${o.pct}% off` : "Explore {{category}}",
      body: o.pct
        ? "{{first_name}}, picked for you based on what you love. Code {{offer_code}}."
        : "{{first_name}}, picked for you based on what you love.",
      cta: o.pct ? "Explore" : "Explore",
    }),
    (o) => ({
      title: o.pct ? `{{product}}: ${o.pct}% off` : "Picked for you: {{product}}",
      body: o.pct
        ? "{{first_name}}, shoppers like you pick {{product}} next. Code {{offer_code}}."
        : "{{first_name}}, shoppers like you pick {{product}} from our {{category}} next.",
      cta: o.pct ? "Get it" : "Take a look",
    }),
  ],
};
