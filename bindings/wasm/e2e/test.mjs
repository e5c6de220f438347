// End-to-end tests of the explainer page in headless Chromium. Run by `cargo xtask explainer --test`, which builds
// the site, serves it on 127.0.0.1 and passes the base URL. Every check is against what the page shows, computed by
// the ftpkit core in WebAssembly. Screenshots of each view go to $SCREENSHOTS.
import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const base = process.argv[2];
if (!base || !/^http:\/\/127\.0\.0\.1:\d+\/$/.test(base)) throw new Error(`usage: node test.mjs http://127.0.0.1:PORT/ (got ${base})`);
const shots = process.env.SCREENSHOTS ?? 'screenshots';
const testdata = process.env.TESTDATA;
mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});

const requests = [];
const failures = [];
let passed = 0;

async function check(name, f) {
  try {
    await f();
    passed += 1;
    console.log(`ok   ${name}`);
  } catch (e) {
    failures.push(name);
    console.log(`FAIL ${name}\n     ${String(e.stack ?? e).split('\n').slice(0, 6).join('\n     ')}`);
  }
}

async function openPage(viewport = { width: 1280, height: 900 }, hash = '') {
  const page = await browser.newPage({ viewport });
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
  const t0 = Date.now();
  await page.goto(`${base}index.html${hash}`);
  await page.waitForFunction(() => window.ftpkitReady !== undefined, null, { timeout: 15000 });
  const ready = await page.evaluate(() => window.ftpkitReady);
  return { page, ready, wallMs: Date.now() - t0 };
}

const b64url = (s) => Buffer.from(s, 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

async function paste(page, text) {
  await page.fill('#input', text);
  await page.waitForTimeout(300);
}

const ports = (page) => page.$$eval('#items .calc', (ps) => ps.map((p) => Number(p.dataset.port)));
const arrows = (page, sel = '#diagrams') => page.$$eval(`${sel} svg.seq`, (svgs) => svgs.map((s) => ({
  mode: s.dataset.mode,
  steps: [...s.querySelectorAll('g.step')].map((g) => `${g.dataset.step}:${g.dataset.from}>${g.dataset.to}`),
  wall: s.querySelector('[data-firewall]')?.dataset.firewall,
})));

const { page, ready, wallMs } = await openPage();
console.log(`first render: ${ready.firstRenderMs.toFixed(1)} ms after module start, ${wallMs} ms from navigation (ftpkit-wasm ${ready.version})`);

await check('the seed active transcript: PORT 14*256+178 = 3762, server connects to the client', async () => {
  await page.click('#seed-active');
  assert.deepEqual(await ports(page), [3762]);
  const calc = await page.textContent('#items .calc');
  assert.match(calc, /14\*256\+178 = 3762/);
  assert.equal(await page.textContent('#items mark.tuple'), '192,168,150,80,14,178');
  assert.equal(await page.$$eval('#items li.error', (l) => l.length), 0);
  const a = await arrows(page);
  assert.deepEqual(a, [{ mode: 'active', steps: ['1:client>server', '2:server>client', '3:server>client', '4:client>server'], wall: 'client' }]);
  await page.screenshot({ path: join(shots, '01-seed-active.png'), fullPage: true });
});

await check('firewall rules for the active seed carry the real port 3762 and port 20', async () => {
  await page.check('input[name=fw-side][value=client]');
  const rows = await page.$$eval('#fw-table tbody tr', (r) => r.map((x) => [x.dataset.direction, x.textContent]));
  assert.equal(rows.length, 4);
  assert.equal(rows[2][0], 'inbound', 'the server opens the data connection: inbound at the client');
  assert.match(rows[2][1], /3762/);
  assert.match(rows[2][1], /20/);
  assert.doesNotMatch(rows[0][1], /3762/, 'the control connection keeps the client\'s port range');
  assert.match(await page.textContent('#fw-nft'), /3762/);
  assert.match(await page.textContent('#fw-ipt'), /3762/);
  await (await page.$('#firewall-section')).screenshot({ path: join(shots, '02-firewall-active-client.png') });
  await page.check('input[name=fw-side][value=server]');
});

await check('the seed passive transcript: 227 195*256+149 = 50069, client connects to the server', async () => {
  await page.click('#seed-passive');
  assert.deepEqual(await ports(page), [50069]);
  assert.match(await page.textContent('#items .calc'), /195\*256\+149 = 50069/);
  const a = await arrows(page);
  assert.deepEqual(a, [{ mode: 'passive', steps: ['1:client>server', '2:server>client', '3:client>server', '4:server>client'], wall: 'server' }]);
  const rows = await page.$$eval('#fw-table tbody tr', (r) => r.map((x) => x.textContent));
  assert.match(rows[2], /50069/);
  assert.match(await page.textContent('#fw-nft'), /50069/);
  assert.match(await page.textContent('#fw-ipt'), /50069/);
  await page.screenshot({ path: join(shots, '03-seed-passive.png'), fullPage: true });
});

await check('the other-mode switch shows the same session in active mode beside it', async () => {
  await page.check('#other-mode');
  const a = await arrows(page);
  assert.equal(a.length, 2);
  assert.equal(a[1].mode, 'active');
  assert.equal(a[1].steps[2], '3:server>client');
  assert.equal(a[1].wall, 'client');
  await (await page.$('#diagram-section')).screenshot({ path: join(shots, '04-other-mode.png') });
  await page.uncheck('#other-mode');
});

for (const server of ['vsftpd', 'pureftpd', 'pyftpdlib']) {
  for (const mode of ['active', 'passive']) {
    await check(`the shared real transcript ${server}-${mode} decodes with two data connections`, async () => {
      const text = readFileSync(join(testdata, `transcripts/${server}-${mode}.ftp-d.txt`), 'utf8');
      await paste(page, text);
      assert.equal(await page.$$eval('#items li.error', (l) => l.length), 0);
      const p = await ports(page);
      assert.ok(p.length >= 2 && p.every((x) => x > 1023 && x <= 65535), `ports ${p}`);
      const a = await arrows(page);
      assert.equal(a.length, 2);
      const want = mode === 'active'
        ? { mode: 'active', three: '3:server>client', wall: 'client' }
        : { mode: 'passive', three: '3:client>server', wall: 'server' };
      for (const d of a) assert.deepEqual({ mode: d.mode, three: d.steps[2], wall: d.wall }, want);
      // The rules carry this session's data ports.
      const rows = await page.$$eval('#fw-table tbody tr', (r) => r.map((x) => x.textContent));
      assert.ok(p.some((x) => rows[2].includes(String(x))) || rows[2].includes('-'), rows[2]);
      if (server === 'vsftpd' && mode === 'passive') await page.screenshot({ path: join(shots, '05-vsftpd-passive.png'), fullPage: true });
    });
  }
}

await check('a #transcript= link opens with that transcript decoded, and the page writes the fragment', async () => {
  const seed = readFileSync(join(testdata, 'seed-passive.ftp-d.txt'), 'utf8');
  const { page: p2 } = await openPage(undefined, `#transcript=${b64url(seed)}`);
  assert.deepEqual(await ports(p2), [50069]);
  await paste(p2, 'PORT 10,0,0,1,4,1');
  assert.equal(new URL(p2.url()).hash, `#line=${b64url('PORT 10,0,0,1,4,1')}`);
  assert.deepEqual(await ports(p2), [1025]);
  await p2.close();
  const { page: p3 } = await openPage(undefined, `#line=${b64url('229 Entering Extended Passive Mode (|||6446|)')}`);
  assert.deepEqual(await ports(p3), [6446]);
  await p3.close();
});

await check('a broken line is an error that names the field and why', async () => {
  await page.click('#ex-bad');
  const err = await page.textContent('#items li.error .err');
  assert.match(err, /range in field p1/);
  assert.match(err, /256/);
  assert.match(await page.textContent('#summary'), /could not be decoded/);
  await paste(page, '227 Entering Passive Mode (192,168,1,1,4)\n2a0 ok\nQUIT\n221 bye');
  const kinds = await page.$$eval('#items li', (l) => l.map((x) => x.dataset.kind));
  assert.deepEqual(kinds, ['error', 'error', 'command', 'reply']);
  await (await page.$('#decoded-section')).screenshot({ path: join(shots, '06-errors.png') });
});

await check('a non-UTF-8 log file (Latin-1 name, IAC IP IAC DM ABOR) decodes on, lossily', async () => {
  const bytes = Buffer.concat([
    Buffer.from('---> RETR caf', 'latin1'), Buffer.from([0xe9]), Buffer.from('.txt\r\n150 Opening caf', 'latin1'), Buffer.from([0xe9]),
    Buffer.from('.txt\r\n---> ', 'latin1'), Buffer.from([0xff, 0xf4, 0xff, 0xf2]), Buffer.from('ABOR\r\n226 ABOR ok\r\n2024-report\r\n'),
  ]);
  await page.setInputFiles('#file', { name: 'latin1.log', mimeType: 'text/plain', buffer: bytes });
  await page.waitForTimeout(300);
  const items = await page.$$eval('#items li', (l) => l.map((x) => [x.dataset.kind, x.querySelector('.raw').textContent, !!x.querySelector('.badge.warn')]));
  assert.equal(items.length, 4, JSON.stringify(items));
  assert.deepEqual(items.map((i) => i[0]), ['command', 'reply', 'command', 'reply']);
  assert.equal(items[0][1], 'RETR caf\uFFFD.txt');
  assert.equal(items[0][2], true, 'marked as not UTF-8');
  assert.equal(items[2][1], 'ABOR');
  await (await page.$('#decoded-section')).screenshot({ path: join(shots, '07-non-utf8.png') });
});

await check('NAT before the client: the PORT fails without a helper and is rewritten by its span with one', async () => {
  await page.click('#seed-active');
  await page.check('input[name=nat-side][value=client]');
  assert.match(await page.textContent('#nat-fail'), /private address/);
  assert.match(await page.textContent('#nat-predict'), /^✕ ftpkit predicts: fails at step 2 \(the FTP server\): PORT names the client's private address/);
  await page.check('#nat-helper');
  assert.equal(await page.textContent('#nat-predict'), '✓ ftpkit predicts: works');
  assert.equal(await page.textContent('#nat-after mark.tuple'), '203,0,113,5,14,178');
  assert.match(await page.textContent('#nat-after'), /^PORT 203,0,113,5,14,178$/);
  await (await page.$('#nat-section')).screenshot({ path: join(shots, '08-nat-client-helper.png') });
});

await check('NAT before the server: the 227 is rewritten, a private or foreign 227 warns', async () => {
  await page.click('#seed-passive');
  await page.check('input[name=nat-side][value=server]');
  assert.equal(await page.textContent('#nat-after mark.tuple'), '203,0,113,5,195,149');
  await page.uncheck('#nat-helper');
  assert.match(await page.textContent('#nat-fail'), /private address/);
  assert.equal(await page.textContent('#nat-predict'), "✓ ftpkit predicts for a client that dials the control connection's address (ftpkit, curl, ftplib): works");
  assert.match(await page.textContent('p[data-predict=trust]'), /^✕ for a client that dials the 227's address: fails at step 2 \(the FTP client\)/);
  // The server's control address differs from the 227's: the core warns.
  await page.click('summary');
  await page.fill('#ctx-server', '198.51.100.2');
  await page.dispatchEvent('#ctx-server', 'change');
  assert.match(await page.textContent('[data-warning="227"]'), /198\.51\.100\.2/);
  await (await page.$('#nat-section')).screenshot({ path: join(shots, '09-nat-server.png') });
  await page.fill('#ctx-server', '');
  await page.dispatchEvent('#ctx-server', 'change');
  await page.check('input[name=nat-side][value=none]');
});

async function live(mode, nat, helper, trust = false) {
  await page.selectOption('#sim-mode', mode);
  await page.selectOption('#sim-nat', nat);
  if (helper) await page.check('#sim-helper'); else await page.uncheck('#sim-helper');
  if (trust) await page.check('#sim-trust'); else await page.uncheck('#sim-trust');
  await page.click('#sim-reset');
}

const status = async () => page.$eval('#sim-status', (s) => ({ done: s.dataset.done === 'true', received: Number(s.dataset.received), text: s.textContent }));

for (const [mode, nat, helper, trust, received, wantMode] of [
  ['port', 'none', false, false, 2, 'active'],
  ['pasv', 'none', false, false, 2, 'passive'],
  ['eprt', 'none', false, false, 2, 'active'],
  ['epsv', 'none', false, false, 2, 'passive'],
  ['port', 'client', false, false, 0, null],
  ['port', 'client', true, false, 2, 'active'],
  ['pasv', 'client', false, false, 2, 'passive'],
  ['pasv', 'server', false, true, 0, null],
  ['pasv', 'server', true, true, 2, 'passive'],
]) {
  await check(`live session ${mode}, NAT ${nat}${helper ? ' with helper' : ''}${trust ? ', trusting client' : ''}: ${received} transfers`, async () => {
    await live(mode, nat, helper, trust);
    for (let i = 0; i < 5; i++) await page.click('#sim-step');
    const five = await page.$$eval('#sim-events li', (l) => l.length);
    await page.click('#sim-back');
    assert.ok((await page.$$eval('#sim-events li', (l) => l.length)) < five, 'back removes the last step');
    await page.click('#sim-step');
    assert.equal(await page.$$eval('#sim-events li', (l) => l.length), five, 'stepping again replays the same');
    await page.click('#sim-run');
    const s = await status();
    assert.equal(s.done, true, s.text);
    assert.equal(s.received, received, s.text);
    const a = await arrows(page, '#sim-diagrams');
    if (wantMode) {
      assert.equal(a.length, 2);
      assert.ok(a.every((d) => d.mode === wantMode));
      assert.equal(a[0].steps[2], wantMode === 'active' ? '3:server>client' : '3:client>server');
    } else {
      assert.equal(a.length, 0);
    }
    if (nat !== 'none' && helper) assert.ok(await page.$('#sim-events li.rewrite'), 'the NAT helper rewrote the tuple');
    if (trust && !helper) assert.ok(await page.$('#sim-diagrams .fail-box'), 'the failed connection is shown');
    const name = `10-live-${mode}-${nat}${helper ? '-helper' : ''}${trust ? '-trust' : ''}.png`;
    if (['port', 'pasv'].includes(mode)) await (await page.$('#live-section')).screenshot({ path: join(shots, name) });
  });
}

await check('the live transcript goes through the same decoder as a pasted one', async () => {
  await live('port', 'none', false);
  await page.click('#sim-run');
  await page.click('#sim-open');
  await page.waitForTimeout(200);
  assert.deepEqual(await ports(page), [3762, 3762]);
  assert.equal(await page.$$eval('#items li.error', (l) => l.length), 0);
});

await check('usable with the keyboard alone', async () => {
  await page.focus('#seed-active');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'seed-passive');
  await page.keyboard.press('Enter');
  assert.deepEqual(await ports(page), [50069]);
  await page.focus('#sim-reset');
  await page.keyboard.press('Enter');
  await page.focus('#sim-step');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter');
  assert.ok((await page.$$eval('#sim-events li', (l) => l.length)) >= 2);
});

await check('every control is labelled for screen readers', async () => {
  const unlabelled = await page.$$eval('input, select, textarea, button', (els) => els.filter((e) => {
    if (e.type === 'hidden') return false;
    const name = e.getAttribute('aria-label') || e.labels?.[0]?.textContent?.trim() || (e.tagName === 'BUTTON' && e.textContent.trim());
    return !name;
  }).map((e) => e.id || e.outerHTML.slice(0, 60)));
  assert.deepEqual(unlabelled, []);
  const svgs = await page.$$eval('svg.seq', (s) => s.every((x) => x.getAttribute('role') === 'img' && x.querySelector('title')?.textContent.length > 20));
  assert.ok(svgs);
});

await check('readable on a phone, 375 px wide, with nothing wider than the screen', async () => {
  const { page: m } = await openPage({ width: 375, height: 812 }, `#transcript=${b64url(readFileSync(join(testdata, 'seed-active.ftp-d.txt'), 'utf8'))}`);
  assert.deepEqual(await ports(m), [3762]);
  const width = await m.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 375, `page is ${width}px wide`);
  await m.screenshot({ path: join(shots, '11-phone-375.png'), fullPage: true });
  await m.selectOption('#sim-mode', 'pasv');
  await m.click('#sim-run');
  await (await m.$('#live-section')).screenshot({ path: join(shots, '12-phone-live.png') });
  assert.ok((await m.evaluate(() => document.documentElement.scrollWidth)) <= 375);
  await m.close();
});

await check('the page made no network request other than its own files', async () => {
  const foreign = requests.filter((u) => !u.startsWith(base));
  assert.deepEqual(foreign, []);
  assert.ok(requests.some((u) => u.endsWith('.wasm')));
});

await browser.close();
console.log(`\n${passed} passed, ${failures.length} failed${failures.length ? `: ${failures.join('; ')}` : ''}`);
process.exit(failures.length ? 1 : 0);
