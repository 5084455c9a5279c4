// Exit codes and the one-line error messages of the CLI.

export const EXIT_OK = 0
/** count/find found nothing (like grep). */
export const EXIT_NO_MATCH = 1
/** Any error: a file that cannot be read, a bad argument, an unknown command. */
export const EXIT_ERROR = 2

/** A mistake on the command line (bad argument, unknown command, missing operand). */
export class UsageError extends Error {
  name = 'UsageError'
}

/**
 * The single line printed on stderr for `error`: OS errors keep Node's own message
 * (`ENOENT: no such file or directory, open 'x'`), usage errors point to the help.
 * @param {unknown} error
 * @param {string} [command] the command whose help to point to
 */
export function errorLine(error, command) {
  const message = error instanceof Error ? error.message : String(error)
  const firstLine = message.split('\n', 1)[0]
  if (error instanceof UsageError) {
    const help = command ? `mmapkit ${command} --help` : 'mmapkit --help'
    return `mmapkit: ${firstLine} (see '${help}')`
  }
  return `mmapkit: ${firstLine}`
}
