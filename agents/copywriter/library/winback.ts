import { type StrategyLibrary, emailBody } from "./library-types.js";

/** Lapsed customers: a clear reason to come back. */
export const winbackLibrary: StrategyLibrary = {
  email: [
    (o) => ({
      subject: o.pct ? `We miss you, {{first_name}}: ${o.pct}% off` : "We miss you, {{first_name}}",
      preheader: o.pct ? "Come back to {{category}} for less." : "Come back and see what's new in {{category}}.",
      body: emailBody(o, ["It's been a while since your last order, and we'd love to see you again. Here's what's new in {{category}}."]),
      cta: o.pct ? "Come back and save" : "Come back",
    }),
    (o) => ({
      subject: o.pct ? `Come back for ${o.pct}% off {{category}}` : "Come back to {{category}}, {{first_name}}",
      preheader: o.pct ? "{{first_name}}, your welcome-back code is inside." : "{{first_name}}, a lot has changed since you left.",
      body: emailBody(o, ["A lot has changed since your last visit: new {{category}}, better prices and faster delivery."]),
      cta: o.pct ? "Use my code" : "See what changed",
    }),
    (o) => ({
      subject: o.pct ? `{{first_name}}, ${o.pct}% off your return` : "{{first_name}}, it's been too long",
      preheader: o.pct ? "A welcome-back offer on {{category}}." : "Your {{category}} favourites are waiting.",
      body: emailBody(o, ["Your {{category}} favourites are still here, plus plenty of new things we think you'll like."]),
      cta: o.pct ? "Claim my offer" : "See favourites",
    }),
    (o) => ({
      subject: o.pct ? `Your ${o.pct}% welcome-back is here` : "Welcome back, {{first_name}}",
      preheader: o.pct ? "{{first_name}}, it works on all {{category}}." : "We kept the door open. New {{category}} is in.",
      body: emailBody(o, ["We kept the door open for you. New {{category}} is in and we think you'll like it."]),
      cta: o.pct ? "Redeem now" : "Step back in",
    }),
    (o) => ({
      subject: o.pct ? `{{first_name}}, ${o.pct}% off says come back` : "{{first_name}}, have a look back in",
      preheader: o.pct ? "One code, all of {{category}}, this week." : "A quick look at the best of {{category}}.",
      body: emailBody(o, ["Here's a quick look at the best of {{category}} right now, in case you'd like to come back."]),
      cta: o.pct ? "Shop with my code" : "Have a look",
    }),
    (o) => ({
      subject: o.pct ? `It's been a while: ${o.pct}% off for you` : "It's been a while, {{first_name}}",
      preheader: o.pct ? "{{first_name}}, here's a reason to come back." : "{{first_name}}, here's what you've missed.",
      body: emailBody(o, ["Here's what you've missed in {{category}}. We'd be glad to have you back."]),
      cta: o.pct ? "Get my code" : "See what I missed",
    }),
  ],
  sms: [
    (o) => ({
      text: o.pct
        ? `We miss you, {{first_name}}! Come back for ${o.pct}% off {{category}} with code {{offer_code}}.`
        : "We miss you, {{first_name}}! Come back and see what's new in {{category}}.",
    }),
    (o) => ({
      text: o.pct
        ? `{{first_name}}, your welcome-back code {{offer_code}} gets ${o.pct}% off {{category}}.`
        : "{{first_name}}, a lot has changed since your last visit. New {{category}} is in.",
    }),
    (o) => ({
      text: o.pct
        ? `It's been a while, {{first_name}}. Here's ${o.pct}% off {{category}}: {{offer_code}}.`
        : "It's been a while, {{first_name}}. Your {{category}} favourites are waiting.",
    }),
    (o) => ({
      text: o.pct
        ? `{{first_name}}, come back to {{category}} for less: ${o.pct}% off with {{offer_code}}.`
        : "{{first_name}}, come back to {{category}}: new arrivals this week.",
    }),
    (o) => ({
      text: o.pct
        ? `Welcome back offer for {{first_name}}: ${o.pct}% off {{category}}. Code {{offer_code}}.`
        : "Welcome back, {{first_name}}! We kept the door open: new {{category}} is in.",
    }),
    (o) => ({
      text: o.pct
        ? `{{first_name}}, one code, all of {{category}}: {{offer_code}} for ${o.pct}% off this week.`
        : "{{first_name}}, here's what you've missed in {{category}}. Take a look in the app.",
    }),
  ],
  push: [
    (o) => ({
      title: o.pct ? `We miss you: ${o.pct}% off` : "We miss you, {{first_name}}",
      body: o.pct ? "{{first_name}}, come back to {{category}} with {{offer_code}}." : "Come back and see what's new in {{category}}.",
    }),
    (o) => ({
      title: o.pct ? `{{first_name}}, ${o.pct}% off to return` : "{{first_name}}, a lot has changed",
      body: o.pct ? "Your welcome-back code {{offer_code}} works on {{category}}." : "New {{category}}, better prices. Tap to see.",
    }),
    (o) => ({
      title: o.pct ? `It's been a while: ${o.pct}% off` : "It's been a while",
      body: o.pct ? "{{first_name}}, your {{category}} code: {{offer_code}}." : "{{first_name}}, your {{category}} favourites are waiting.",
    }),
    (o) => ({
      title: o.pct ? `Welcome back: ${o.pct}% off` : "Welcome back, {{first_name}}",
      body: o.pct ? "{{first_name}}, new {{category}} is in. Code {{offer_code}}." : "We kept the door open. New {{category}} is in.",
    }),
    (o) => ({
      title: o.pct ? `Come back and save ${o.pct}%` : "Come back to {{category}}",
      body: o.pct
        ? "{{first_name}}, all {{category}} this week with {{offer_code}}."
        : "{{first_name}}, the best of {{category}} right now.",
    }),
    (o) => ({
      title: o.pct ? `{{first_name}}, ${o.pct}% is waiting` : "{{first_name}}, see what you missed",
      body: o.pct ? "A reason to come back: {{offer_code}} on {{category}}." : "A quick look at new {{category}}. Tap to see.",
    }),
  ],
  in_app: [
    (o) => ({
      title: o.pct ? `Welcome back: ${o.pct}% off` : "Welcome back",
      body: o.pct
        ? "{{first_name}}, we missed you. Come back to {{category}} with code {{offer_code}}."
        : "{{first_name}}, we missed you. Here's what's new in {{category}}.",
      cta: o.pct ? "Use my code" : "See what's new",
    }),
    (o) => ({
      title: o.pct ? `{{first_name}}, ${o.pct}% off to return` : "{{first_name}}, a lot has changed",
      body: o.pct
        ? "New {{category}}, better prices, and your code {{offer_code}}."
        : "New {{category}}, better prices and faster delivery.",
      cta: o.pct ? "Shop and save" : "Take a look",
    }),
    (o) => ({
      title: o.pct ? `It's been a while: ${o.pct}% off` : "It's been a while",
      body: o.pct
        ? "{{first_name}}, your {{category}} favourites are waiting, and so is {{offer_code}}."
        : "{{first_name}}, your {{category}} favourites are waiting.",
      cta: o.pct ? "Claim it" : "See favourites",
    }),
    (o) => ({
      title: o.pct ? `Come back and save ${o.pct}%` : "Come back to {{category}}",
      body: o.pct
        ? "{{first_name}}, one code for all {{category}} this week: {{offer_code}}."
        : "{{first_name}}, the best of {{category}} right now.",
      cta: o.pct ? "Come back" : "Come back",
    }),
    (o) => ({
      title: o.pct ? `We kept ${o.pct}% off for you` : "We kept the door open",
      body: o.pct
        ? "{{first_name}}, new {{category}} is in. Use {{offer_code}} at checkout."
        : "{{first_name}}, new {{category}} is in and we think you'll like it.",
      cta: o.pct ? "Step back in" : "Step back in",
    }),
    (o) => ({
      title: o.pct ? `{{first_name}}, ${o.pct}% is waiting` : "See what you missed",
      body: o.pct
        ? "Here's what you've missed in {{category}}, and a code to come back: {{offer_code}}."
        : "{{first_name}}, here's what you've missed in {{category}}.",
      cta: o.pct ? "See and save" : "See what I missed",
    }),
  ],
};
