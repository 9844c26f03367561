/**
 * oidc-provider warns at start-up about development defaults the tests use on purpose (in-memory
 * adapter), and the library prints its start-up summary at every attach(); those lines would bury
 * real failures. Every other warning shows.
 */
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && /^oidc-provider (WARNING|NOTICE):|^oidc-session-transfer: attached to /.test(args[0])) return;
  warn(...args);
};
