import { type StrategyLibrary, emailBody } from "./library-types.js";

/** Customers who stopped opening: a light touch, something new, no pressure. */
export const reengageLibrary: StrategyLibrary = {
  email: [
    (o) => ({
      subject: o.pct ? `{{first_name}}, ${o.pct}% off to say hello again` : "{{first_name}}, here's what's new",
      preheader: o.pct ? "A lot has changed since your last visit." : "A lot has changed since your last visit. Here's the short version.",
      body: emailBody(o, [
        "It's been a little while. Here's the short version of what's new in {{category}}: fresh arrivals and a few old favourites back in stock.",
      ]),
      cta: o.pct ? `Take ${o.pct}% off` : "See what's new",
    }),
    (o) => ({
      subject: o.pct ? `Still into {{category}}? Here's ${o.pct}% off` : "Still into {{category}}, {{first_name}}?",
      preheader: o.pct ? "{{first_name}}, a small welcome-back from us." : "We kept a few picks aside for you.",
      body: emailBody(o, ["We kept a few {{category}} picks aside that we think you'll like. No rush, they'll be here when you are."]),
      cta: o.pct ? "Use my code" : "See my picks",
    }),
    (o) => ({
      subject: o.pct ? `Catch up and save ${o.pct}%, {{first_name}}` : "Catch up on {{category}}, {{first_name}}",
      preheader: o.pct ? "The best of {{category}} this month, and a code for you." : "The best of {{category}} this month, in one place.",
      body: emailBody(o, ["Here is the best of {{category}} this month, all in one place, so you can catch up in a minute."]),
      cta: o.pct ? "Catch up and save" : "Catch up",
    }),
    (o) => ({
      subject: o.pct ? `We saved you ${o.pct}% off {{category}}` : "We saved you a seat, {{first_name}}",
      preheader: o.pct ? "{{first_name}}, it's good to see you." : "New {{category}} is in, and we thought of you.",
      body: emailBody(o, ["New {{category}} is in, and you were the first person we thought of."]),
      cta: o.pct ? "Redeem my code" : "Have a look",
    }),
    (o) => ({
      subject: o.pct ? `{{first_name}}, ${o.pct}% off your favourites` : "{{first_name}}, your favourites are back",
      preheader: o.pct ? "Some of the {{category}} you liked is back in stock." : "Some of the {{category}} you liked is back in stock.",
      body: emailBody(o, ["Some of the {{category}} you liked before is back in stock, along with a few new things worth a look."]),
      cta: o.pct ? "Shop and save" : "Shop favourites",
    }),
    (o) => ({
      subject: o.pct ? `Fancy ${o.pct}% off, {{first_name}}?` : "Fancy a look, {{first_name}}?",
      preheader: o.pct ? "Three minutes, a few good finds and a code." : "Three minutes, a few good finds.",
      body: emailBody(o, ["Got three minutes? We rounded up a few good {{category}} finds for you."]),
      cta: o.pct ? "Show me" : "Show me",
    }),
  ],
  sms: [
    (o) => ({
      text: o.pct
        ? `{{first_name}}, it's been a while! Here's ${o.pct}% off {{category}}: code {{offer_code}}.`
        : "{{first_name}}, it's been a while! See what's new in {{category}} in the app.",
    }),
    (o) => ({
      text: o.pct
        ? `Hi {{first_name}}, we kept some {{category}} picks aside, plus ${o.pct}% off with {{offer_code}}.`
        : "Hi {{first_name}}, we kept some {{category}} picks aside for you. Take a look.",
    }),
    (o) => ({
      text: o.pct
        ? `{{first_name}}, catch up on new {{category}} and save ${o.pct}% with code {{offer_code}}.`
        : "{{first_name}}, catch up on new {{category}} in under a minute in the app.",
    }),
    (o) => ({
      text: o.pct
        ? `Your favourites are back, {{first_name}}. ${o.pct}% off {{category}} with {{offer_code}}.`
        : "Your favourites are back, {{first_name}}. New {{category}} is in.",
    }),
    (o) => ({
      text: o.pct
        ? `{{first_name}}, good to see you! Enjoy ${o.pct}% off {{category}}. Code {{offer_code}}.`
        : "{{first_name}}, good to see you! A few {{category}} finds are waiting for you.",
    }),
    (o) => ({
      text: o.pct
        ? `New in {{category}}, {{first_name}}, and ${o.pct}% off for you: {{offer_code}}.`
        : "New in {{category}}, {{first_name}}: a short list picked for you.",
    }),
  ],
  push: [
    (o) => ({
      title: o.pct ? `{{first_name}}, ${o.pct}% off to say hi` : "{{first_name}}, here's what's new",
      body: o.pct ? "New {{category}} is in. Code {{offer_code}}." : "New {{category}} is in. Tap for the short version.",
    }),
    (o) => ({
      title: o.pct ? `Still into {{category}}? ${o.pct}% off` : "Still into {{category}}?",
      body: o.pct ? "{{first_name}}, we kept picks aside. Use {{offer_code}}." : "{{first_name}}, we kept a few picks aside for you.",
    }),
    (o) => ({
      title: o.pct ? `Catch up and save ${o.pct}%` : "Catch up in a minute",
      body: o.pct
        ? "{{first_name}}, the best of {{category}} and code {{offer_code}}."
        : "{{first_name}}, the best of {{category}} this month.",
    }),
    (o) => ({
      title: o.pct ? `Favourites back, ${o.pct}% off` : "Your favourites are back",
      body: o.pct
        ? "{{first_name}}, {{category}} is back in stock. Code {{offer_code}}."
        : "{{first_name}}, {{category}} you liked is back in stock.",
    }),
    (o) => ({
      title: o.pct ? `Good to see you: ${o.pct}% off` : "Good to see you, {{first_name}}",
      body: o.pct
        ? "{{first_name}}, a few {{category}} finds and code {{offer_code}}."
        : "A few {{category}} finds are waiting. Tap to look.",
    }),
    (o) => ({
      title: o.pct ? `New in {{category}}: ${o.pct}% off` : "New in {{category}}",
      body: o.pct ? "{{first_name}}, your code {{offer_code}} is ready." : "{{first_name}}, a short list picked for you.",
    }),
  ],
  in_app: [
    (o) => ({
      title: o.pct ? `Welcome back: ${o.pct}% off` : "Welcome back",
      body: o.pct
        ? "{{first_name}}, a lot is new in {{category}}. Save with code {{offer_code}}."
        : "{{first_name}}, a lot is new in {{category}}. Here's the short version.",
      cta: o.pct ? "Use my code" : "See what's new",
    }),
    (o) => ({
      title: o.pct ? `Picks saved, plus ${o.pct}% off` : "We saved you some picks",
      body: o.pct
        ? "{{first_name}}, we kept some {{category}} aside. Code {{offer_code}} takes it off."
        : "{{first_name}}, we kept some {{category}} aside for you.",
      cta: o.pct ? "See and save" : "See my picks",
    }),
    (o) => ({
      title: o.pct ? `Catch up and save ${o.pct}%` : "Catch up in a minute",
      body: o.pct
        ? "The best of {{category}} this month, and a code for you: {{offer_code}}."
        : "The best of {{category}} this month, in one place, {{first_name}}.",
      cta: o.pct ? "Catch up" : "Catch up",
    }),
    (o) => ({
      title: o.pct ? `Favourites back: ${o.pct}% off` : "Your favourites are back",
      body: o.pct
        ? "{{first_name}}, {{category}} you liked is back in stock. Code {{offer_code}}."
        : "{{first_name}}, {{category}} you liked is back in stock.",
      cta: o.pct ? "Shop favourites" : "Shop favourites",
    }),
    (o) => ({
      title: o.pct ? `{{first_name}}, ${o.pct}% off for you` : "{{first_name}}, good to see you",
      body: o.pct ? "A few {{category}} finds we think you'll like. Use {{offer_code}}." : "A few {{category}} finds we think you'll like.",
      cta: o.pct ? "Take a look" : "Take a look",
    }),
    (o) => ({
      title: o.pct ? `New in {{category}}: ${o.pct}% off` : "New in {{category}}",
      body: o.pct
        ? "{{first_name}}, a short list picked for you. Your code: {{offer_code}}."
        : "{{first_name}}, a short list picked for you.",
      cta: o.pct ? "See the list" : "See the list",
    }),
  ],
};
