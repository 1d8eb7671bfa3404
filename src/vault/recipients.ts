/** recipients.txt: one age recipient per line, `#` comments and blank lines allowed (age -R syntax). */

export interface RecipientsFile {
  /** Comment blocks not attached to a recipient (kept at the top when rewriting). */
  preamble: string[];
  /** Each recipient with the comment lines right above it (no blank line between). */
  entries: { recipient: string; comments: string[] }[];
}

export function parseRecipientsText(text: string): RecipientsFile {
  const preamble: string[] = [];
  const entries: RecipientsFile['entries'] = [];
  let pending: string[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line.startsWith('#')) {
      pending.push(line);
    } else if (line === '') {
      preamble.push(...pending);
      pending = [];
    } else {
      entries.push({ recipient: line, comments: pending });
      pending = [];
    }
  }
  preamble.push(...pending);
  return { preamble, entries };
}

/** The file for `list`, keeping the comments of recipients that stay. */
export function formatRecipientsFile(previous: RecipientsFile | null, list: readonly string[], header: readonly string[]): string {
  const comments = new Map(previous?.entries.map((e) => [e.recipient, e.comments]) ?? []);
  const top = previous && previous.preamble.length > 0 ? previous.preamble : header;
  const body = list.flatMap((r) => [...(comments.get(r) ?? []), r]);
  return `${[...top, '', ...body].join('\n')}\n`;
}
