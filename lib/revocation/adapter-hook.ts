import type { Adapter, Configuration } from 'oidc-provider';

type AdapterSetting = NonNullable<Configuration['adapter']>;

/** oidc-provider's own test: a class (or function with a prototype) is constructed with `new`. */
const constructable = (value: AdapterSetting) => typeof value === 'function' && typeof value.prototype === 'object' && value.prototype !== null;

/**
 * The host's adapter, with the Grant model's `destroy` followed by `onGrantDestroyed`, even when the
 * destroy fails. Every way
 * oidc-provider revokes a grant (revocation endpoint, refresh-token reuse, logout) destroys it
 * through the adapter and awaits that, so the cascade runs inside the revoking request.
 */
export function cascadingAdapter(adapter: AdapterSetting, onGrantDestroyed: (grantId: string) => Promise<void>) {
  return (model: string): Adapter => {
    const inner: Adapter = constructable(adapter)
      ? new (adapter as new (name: string) => Adapter)(model)
      : (adapter as (name: string) => Adapter)(model);
    if (model !== 'Grant') return inner;
    return new Proxy(inner, {
      get(target, property) {
        if (property === 'destroy') {
          return async (id: string) => {
            // A destroy that failed may still have deleted the grant (an unacknowledged delete ran
            // on the master): the cascade runs either way, and retries until its own writes land.
            try {
              await target.destroy(id);
            } finally {
              await onGrantDestroyed(id);
            }
          };
        }
        const value = Reflect.get(target, property, target);
        // Bound, so adapters with private fields keep working behind the proxy.
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };
}
