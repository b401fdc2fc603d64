import type request from 'supertest';

type Http = () => ReturnType<typeof request>;

/** Logs in and creates an API key: the `Authorization` header of that user. */
export async function apiKeyFor(http: Http, email: string, password: string): Promise<{ authorization: string }> {
  const login = await http().post('/api/auth/login').send({ email, password }).expect(200);
  const key = await http()
    .post('/api/keys')
    .set('Cookie', login.headers['set-cookie'] as unknown as string[])
    .set('x-csrf-token', login.body.csrfToken)
    .send({ name: 'test' })
    .expect(201);
  return { authorization: `Bearer ${key.body.secret}` };
}

/** An admin creates a trader, who gets an API key: the trader's header and profile. */
export async function newTrader(http: Http, admin: Record<string, string>, email: string, walletAddress?: string) {
  const password = 'trader password 1';
  const user = (await http().post('/api/users').set(admin).send({ email, password, role: 'trader', ...(walletAddress ? { walletAddress } : {}) }).expect(201)).body as { id: string; aoAddress: string };
  return { user, auth: await apiKeyFor(http, email, password) };
}
