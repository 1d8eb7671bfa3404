/**
 * The V8 heap of a serving process. An MCP server lives as long as its client's session and keeps
 * little once started. With V8's defaults it still grows to many times that under load, mostly
 * because the old generation is only collected once it has grown to several
 * times its live size (V8 allows up to 4× while collections are cheap). Here the next full
 * collection comes once the old generation has grown by 30 % since the last one
 * (`--heap-growing-percent=30`): more marking work for a lower peak RSS (figures in
 * bench/README.md), at a little more CPU per call under load and nothing when idle. Freezing the
 * young generation (`--semi-space-growth-factor=1` once started) would keep whatever size
 * start-up happened to leave it at, so it is not done.
 *
 * The flag is read by V8's heap controller each time it sets the next limit, so setting it in a
 * running process is defined behaviour for it (it changes no compiled code).
 */
import { setFlagsFromString } from 'node:v8';

export function tuneHeapForServing(): void {
  setFlagsFromString('--heap-growing-percent=30');
}
