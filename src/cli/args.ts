/** Command-line parsing errors from Node's util.parseArgs, turned into UsageError. */
import { UsageError } from "./io";

export function parsedOrUsageError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
