import type { Account, FindAccount } from 'oidc-provider';

/** The example's users. A real identity provider has a user database here. */
const USERS = [
  { id: 'demo', email: 'demo@example.com', password: 'demo', name: 'Demo User' },
  { id: 'other', email: 'other@example.com', password: 'other', name: 'Other User' },
];

function toAccount(user: (typeof USERS)[number]): Account {
  return {
    accountId: user.id,
    claims: () => ({ sub: user.id, email: user.email, email_verified: true, name: user.name }),
  };
}

export const findAccount: FindAccount = (_ctx, sub) => {
  const user = USERS.find((candidate) => candidate.id === sub);
  return user ? toAccount(user) : undefined;
};

/** How an account is shown to its user: its email. */
export function displayName(accountId: string): string {
  return USERS.find((user) => user.id === accountId)?.email ?? accountId;
}

/** The account id of the user with `email`, or undefined for none. */
export function accountIdByEmail(email: string): string | undefined {
  return USERS.find((user) => user.email === email)?.id;
}

/** The account id for a login and password, or undefined when they do not match. */
export function authenticate(login: string, password: string): string | undefined {
  return USERS.find((user) => user.email === login && user.password === password)?.id;
}
