/** cli-table3 options: colours only on a terminal, so piped output and CI logs stay plain text. */
export function tableStyle(): { style?: { head: string[]; border: string[] } } {
  return process.stdout.isTTY ? {} : { style: { head: [], border: [] } };
}
