import { z } from "zod";

/** Ids Pulse gives its Slack buttons and views, and zod schemas for what comes back from Slack. */

export const APPROVE_ACTION = "pulse_approve";
export const REJECT_ACTION = "pulse_reject";
export const REJECT_MODAL = "pulse_reject_modal";
export const REJECT_REASON = "reason";

/** What an Approve or Reject button carries. */
export const planRefSchema = z.strictObject({ cycleId: z.string().min(1).max(256), approvalId: z.string().min(1).max(256) });
export type PlanRef = z.infer<typeof planRefSchema>;

/** What the reject modal carries: the plan, and the message to update once decided. */
export const rejectModalMetadataSchema = planRefSchema.extend({ channel: z.string().min(1), ts: z.string().min(1) });
export type RejectModalMetadata = z.infer<typeof rejectModalMetadataSchema>;

const jsonText = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "not JSON" });
        return z.NEVER;
      }
    })
    .pipe(schema);

/** A block_actions payload for one of the plan buttons (the fields Pulse reads). */
export const planButtonPayloadSchema = z.object({
  user: z.object({ id: z.string().min(1) }),
  trigger_id: z.string().min(1),
  container: z
    .object({ channel_id: z.string().min(1), message_ts: z.string().min(1) })
    .partial()
    .optional(),
  channel: z.object({ id: z.string().min(1) }).optional(),
  message: z.object({ ts: z.string().min(1) }).optional(),
  actions: z.array(z.object({ action_id: z.string(), value: jsonText(planRefSchema) })).min(1),
});
export type PlanButtonPayload = z.infer<typeof planButtonPayloadSchema>;

/** A view_submission of the reject modal. */
export const rejectSubmissionSchema = z.object({
  user: z.object({ id: z.string().min(1) }),
  view: z.object({
    private_metadata: jsonText(rejectModalMetadataSchema),
    state: z.object({
      values: z.object({
        [REJECT_REASON]: z.object({ [REJECT_REASON]: z.object({ value: z.string().nullable().optional() }) }),
      }),
    }),
  }),
});
export type RejectSubmission = z.infer<typeof rejectSubmissionSchema>;

/** A slash command's form fields Pulse reads. */
export const slashCommandSchema = z.object({
  user_id: z.string().min(1),
  channel_id: z.string().min(1),
  text: z.string().default(""),
  command: z.string(),
});

/** An app_mention or direct message event. */
export const messageEventSchema = z.object({
  user: z.string().min(1),
  channel: z.string().min(1),
  text: z.string().default(""),
  ts: z.string().min(1),
  thread_ts: z.string().optional(),
});
