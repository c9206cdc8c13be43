// Compiled (not run) by .ci/clients.sh against the generated types: if the schema's names or shapes drift in a way
// that breaks TypeScript users, this stops compiling.
import type { components, operations, paths } from "../build/clients/typescript/schema";

type Event = components["schemas"]["Event"];
type Page = components["schemas"]["PaginatedEventList"];
type EventQuery = NonNullable<operations["events_list"]["parameters"]["query"]>;
type ApiError = components["schemas"]["Error"];

export const query: EventQuery = { treaty: "open-skies", type: ["withdrawal_notice"], date_after: "2020-01-01" };

export function firstDisplayDate(page: Page): string | undefined {
  const event: Event | undefined = page.results[0];
  return event?.date?.display;
}

export function participants(event: Event): string[] {
  return event.participants.map((p) => `${p.code} (${p.role})`);
}

export function describe(error: ApiError): string {
  return error.errors.map((e) => `${e.parameter}: ${e.message}`).join("\n") || error.detail;
}

export type TimelinePath = paths["/api/treaties/{slug}/timeline/"];
