/**
 * oidc-provider warns at start-up about development defaults the tests use on purpose (in-memory
 * adapter, Node 20 runtime); those lines would bury real failures. Every other warning shows.
 */
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && /^oidc-provider (WARNING|NOTICE):/.test(args[0])) return;
  warn(...args);
};
