import { expect, test, type APIRequestContext } from '../tests/fixtures';
import {
  bubble,
  composer,
  createConversation,
  headerInviteLink,
  joinWith,
  screenshotPath,
  sendMessage,
  signUp,
  uniqueName,
  waitConnected,
} from '../tests/helpers';

// The nodes behind the load balancer (scripts/cluster.sh: the balancer's port + 1, 2, 3).
const node = (n: number) => `http://127.0.0.1:${3200 + n}`;

async function allReady(request: APIRequestContext) {
  for (const n of [1, 2, 3]) {
    await expect
      .poll(async () => (await request.get(`${node(n)}/healthz/ready`).catch(() => null))?.status(), {
        timeout: 60_000,
      })
      .toBe(200);
  }
}

test('two people on two nodes chat live; a third joins through the load balancer', async ({ browser, request }) => {
  test.setTimeout(120_000);
  await allReady(request);
  const title = 'Across nodes';
  // Alice's page and socket are on node 1, Bob's on node 2: every message crosses NATS.
  const alice = { name: uniqueName('ali'), context: await browser.newContext({ baseURL: node(1) }) };
  const bob = { name: uniqueName('bob'), context: await browser.newContext({ baseURL: node(2) }) };
  const pageA = await alice.context.newPage();
  const pageB = await bob.context.newPage();
  await signUp(pageA, alice.name);
  await signUp(pageB, bob.name);
  await createConversation(pageA, title);
  await waitConnected(pageA);
  const path = new URL(pageA.url()).pathname;
  // The invite names the public origin (the balancer); Bob opens it on his node.
  const link = await headerInviteLink(pageA);
  expect(link.startsWith('http://127.0.0.1:3200/invite/')).toBe(true);
  await pageA.getByRole('button', { name: 'Done', exact: true }).click();
  await joinWith(pageB, node(2) + new URL(link).pathname, path, title);

  await sendMessage(pageA, 'Hello from node one');
  await expect(bubble(pageB, 'Hello from node one')).toBeVisible();
  await sendMessage(pageB, 'And hello back from node two');
  await expect(bubble(pageA, 'And hello back from node two')).toBeVisible();
  // Left for others, right for mine, on both sides.
  await expect(bubble(pageA, 'Hello from node one')).toHaveAttribute('data-mine', 'true');
  await expect(bubble(pageB, 'Hello from node one')).toHaveAttribute('data-mine', 'false');

  // Carol comes through the balancer (round robin: any node) and sees both messages live.
  const carol = { name: uniqueName('car'), context: await browser.newContext() };
  const pageC = await carol.context.newPage();
  await signUp(pageC, carol.name);
  await joinWith(pageC, link, path, title);
  await expect(bubble(pageC, 'And hello back from node two')).toBeVisible();
  await composer(pageC).fill('Carol here, through the balancer');
  await composer(pageC).press('Enter');
  await expect(bubble(pageA, 'Carol here, through the balancer')).toBeVisible();
  await expect(bubble(pageB, 'Carol here, through the balancer')).toBeVisible();
  await pageB.screenshot({ path: screenshotPath('cluster-bob-node2'), fullPage: true });
  for (const p of [alice, bob, carol]) await p.context.close();
});
