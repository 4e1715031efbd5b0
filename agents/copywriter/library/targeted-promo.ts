import { type StrategyLibrary, emailBody } from "./library-types.js";

/** Active customers: an offer on what they already buy. */
export const targetedPromoLibrary: StrategyLibrary = {
  email: [
    (o) => ({
      subject: o.pct ? `{{first_name}}, ${o.pct}% off {{category}} for you` : "{{first_name}}, {{category}} picks chosen for you",
      preheader: o.pct ? "Your personal code is inside, made for how you shop." : "Chosen for how you shop, updated this week.",
      body: emailBody(o, ["We picked out some {{category}} favourites we think you'll like, based on what you love."]),
      cta: o.pct ? `Claim ${o.pct}% off` : "See your picks",
    }),
    (o) => ({
      subject: o.pct ? `Your ${o.pct}% off {{category}} code is here` : "Fresh {{category}} arrivals, {{first_name}}",
      preheader: o.pct ? "A little thank-you for shopping with us." : "New in this week, picked with you in mind.",
      body: emailBody(o, ["Thank you for shopping with us. New {{category}} has just landed and we saved you a first look."]),
      cta: o.pct ? "Use my code" : "Take a look",
    }),
    (o) => ({
      subject: o.pct ? `{{first_name}}, save ${o.pct}% this week` : "{{first_name}}, this week's {{category}} edit",
      preheader: o.pct ? "On {{category}}, for a limited time." : "A short list of things we think you'll like.",
      body: emailBody(o, ["This week's {{category}} edit is short and good: a few things we think suit you."]),
      cta: o.pct ? "Start saving" : "See the edit",
    }),
    (o) => ({
      subject: o.pct ? `${o.pct}% off your next {{category}} order` : "Your next {{category}} favourite is here",
      preheader: o.pct
        ? "{{first_name}}, your code works on everything in {{category}}."
        : "{{first_name}}, we found a few things for you.",
      body: emailBody(o, ["Stock up on the {{category}} you come back for, or try something new."]),
      cta: o.pct ? "Shop with my code" : "Shop now",
    }),
    (o) => ({
      subject: o.pct ? `A ${o.pct}% thank-you, {{first_name}}` : "A little something for you, {{first_name}}",
      preheader: o.pct ? "Because you are one of our regulars." : "Because you are one of our regulars: first look at {{category}}.",
      body: emailBody(o, ["You shop with us often, so you get first look at our latest {{category}} range."]),
      cta: o.pct ? "Get my thank-you" : "Get first look",
    }),
    (o) => ({
      subject: o.pct ? `{{category}}: ${o.pct}% off, just for you` : "{{category}}: picked just for you",
      preheader: o.pct ? "{{first_name}}, your code is ready when you are." : "{{first_name}}, a few favourites are back in stock.",
      body: emailBody(o, ["Some of the {{category}} our shoppers love most is back in stock, and we thought of you."]),
      cta: o.pct ? "Redeem now" : "Browse now",
    }),
  ],
  sms: [
    (o) => ({
      text: o.pct
        ? `{{first_name}}, take ${o.pct}% off {{category}} with code {{offer_code}}. Shop now in the app or online.`
        : "{{first_name}}, new {{category}} picks chosen for you are waiting in the app.",
    }),
    (o) => ({
      text: o.pct
        ? `Hi {{first_name}}! Your code {{offer_code}} gets ${o.pct}% off {{category}} this week.`
        : "Hi {{first_name}}! Fresh {{category}} just landed. Take a look this week.",
    }),
    (o) => ({
      text: o.pct
        ? `{{first_name}}, a thank-you from us: ${o.pct}% off {{category}}. Use {{offer_code}} at checkout.`
        : "{{first_name}}, a thank-you from us: first look at new {{category}} in the app.",
    }),
    (o) => ({
      text: o.pct
        ? `${o.pct}% off {{category}} for you, {{first_name}}. Code: {{offer_code}}`
        : "{{first_name}}, your favourite {{category}} is back in stock.",
    }),
    (o) => ({
      text: o.pct
        ? `{{first_name}}, stock up on {{category}} and save ${o.pct}% with {{offer_code}}.`
        : "{{first_name}}, time to stock up? Our {{category}} range has new arrivals.",
    }),
    (o) => ({
      text: o.pct
        ? `This week only, {{first_name}}: ${o.pct}% off {{category}}. Code {{offer_code}}.`
        : "This week, {{first_name}}: a short list of {{category}} picks made for you.",
    }),
  ],
  push: [
    (o) => ({
      title: o.pct ? `${o.pct}% off {{category}}, {{first_name}}` : "New {{category}} for you",
      body: o.pct ? "Your code {{offer_code}} is ready. Tap to use it." : "{{first_name}}, we picked a few things you'll like. Tap to see.",
    }),
    (o) => ({
      title: o.pct ? `{{first_name}}, save ${o.pct}% today` : "{{first_name}}, fresh picks",
      body: o.pct ? "On {{category}} you love. Code {{offer_code}} at checkout." : "New {{category}} just landed. Tap to take a look.",
    }),
    (o) => ({
      title: o.pct ? `A ${o.pct}% thank-you for you` : "A first look, just for you",
      body: o.pct
        ? "{{first_name}}, enjoy {{category}} for less with {{offer_code}}."
        : "{{first_name}}, see our latest {{category}} before anyone else.",
    }),
    (o) => ({
      title: o.pct ? `Your {{category}} code: ${o.pct}% off` : "Back in stock: {{category}}",
      body: o.pct ? "{{first_name}}, use {{offer_code}} this week." : "{{first_name}}, your favourites are back. Tap to shop.",
    }),
    (o) => ({
      title: o.pct ? `${o.pct}% off picks for you` : "Picks for you, {{first_name}}",
      body: o.pct
        ? "{{first_name}}, {{category}} chosen for you. Code {{offer_code}}."
        : "{{category}} chosen for how you shop. Tap to browse.",
    }),
    (o) => ({
      title: o.pct ? `{{first_name}}, ${o.pct}% is yours` : "{{first_name}}, this week's edit",
      body: o.pct ? "Treat yourself to new {{category}}. Code {{offer_code}}." : "A short list of {{category}} we think you'll like.",
    }),
  ],
  in_app: [
    (o) => ({
      title: o.pct ? `${o.pct}% off {{category}} for you` : "New {{category}} for you",
      body: o.pct
        ? "{{first_name}}, use code {{offer_code}} at checkout to save on {{category}} this week."
        : "{{first_name}}, we picked a few {{category}} favourites based on what you love.",
      cta: o.pct ? "Use my code" : "See picks",
    }),
    (o) => ({
      title: o.pct ? `{{first_name}}, save ${o.pct}%` : "{{first_name}}, fresh arrivals",
      body: o.pct
        ? "A thank-you on {{category}}: code {{offer_code}} is ready for you."
        : "New {{category}} just landed. Have a look while it's in stock.",
      cta: o.pct ? "Shop and save" : "Take a look",
    }),
    (o) => ({
      title: o.pct ? `A ${o.pct}% thank-you` : "A first look for you",
      body: o.pct
        ? "{{first_name}}, you shop with us often. Enjoy {{category}} for less with {{offer_code}}."
        : "{{first_name}}, you shop with us often, so here's first look at new {{category}}.",
      cta: o.pct ? "Claim it" : "Get first look",
    }),
    (o) => ({
      title: o.pct ? `Stock up and save ${o.pct}%` : "Time to stock up?",
      body: o.pct
        ? "Your usual {{category}}, for less this week with code {{offer_code}}."
        : "Your usual {{category}} is in stock and ready when you are, {{first_name}}.",
      cta: o.pct ? "Stock up" : "Shop now",
    }),
    (o) => ({
      title: o.pct ? `{{category}}: ${o.pct}% off` : "{{category}}: this week's edit",
      body: o.pct
        ? "{{first_name}}, a short list of {{category}} we think you'll like, and a code to match: {{offer_code}}."
        : "{{first_name}}, a short list of {{category}} we think you'll like.",
      cta: o.pct ? "See the list" : "See the edit",
    }),
    (o) => ({
      title: o.pct ? `{{first_name}}, ${o.pct}% is yours` : "Back in stock for you",
      body: o.pct
        ? "Treat yourself to something new in {{category}}. Your code: {{offer_code}}."
        : "{{first_name}}, some {{category}} favourites are back. Don't miss them this time.",
      cta: o.pct ? "Treat myself" : "Browse",
    }),
  ],
};
