// Stand-ins for k6's built-in modules so the scenarios can be imported by Node to read their
// `options`; nothing here runs a request.
export function check(): boolean {
  return true;
}
export function sleep(): void {}
export function textSummary(): string {
  return "";
}
const http = {
  get(): never {
    throw new Error("k6 stub: scenarios are imported for their options only");
  },
};
export default http;
