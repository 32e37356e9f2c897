/** The commit a result was measured at, so it can be tied to the code. */
import { execFileSync } from "node:child_process";

/** Short HEAD, marked when src/ has uncommitted changes; "unknown" outside a git checkout. */
export function gitDescribe(): string {
  const git = (...args: string[]) => execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  try {
    const rev = git("rev-parse", "--short", "HEAD");
    return git("status", "--porcelain", "--", "src") !== "" ? `${rev} (src has uncommitted changes)` : rev;
  } catch {
    return "unknown";
  }
}
