/** Installs the toolkit's JavaScript parts (the iteration protocol of `lines()` and `matches()`) on the native binding's exports; idempotent. Returns `exports`. */
export function installToolkit<T extends object>(exports: T): T
