// A reference peer for the chapter's conformance tests: the npm package
// `ws` for Node.js on the other end.
//
//     node peer-node.js client URL FAMILY   check ws-server, as a client
//     node peer-node.js server FAMILY       a server for ws-client --echo:
//                                           prints "listening on
//                                           127.0.0.1:PORT", runs the family
//                                           against the first client, prints
//                                           "ok" or "FAIL ..." and exits
//
// FAMILY is one of framing, pings, fragmentation, utf8, limits, closing.
// The package is looked for in WS_NODE_MODULES (a node_modules folder).
// Exit status 0 when every check held, 1 otherwise, 77 when ws is missing.
'use strict';

let WebSocket;
try {
    WebSocket = require(require('path').join(process.env.WS_NODE_MODULES || 'node_modules', 'ws'));
} catch (e) {
    console.error('the npm package ws is not installed');
    process.exit(77);
}

class Fail extends Error {}
function check(cond, what) {
    if (!cond) throw new Fail(what);
}
function pattern(n, seed = 0) {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
    return b;
}
const SIZES = [0, 1, 125, 126, 127, 65535, 65536, 1 << 20];
const TEXTS = ['Hello', '\u03ba\u1f79\u03c3\u03bc\u03b5', '\u{1F600}', '\u{10FFFF}', '\0', 'a'.repeat(70000)];

// A connection with a queue of what arrives, so that checks can await the
// next message, pong or close in order.
function wrap(ws) {
    const waiting = [], arrived = [];
    const push = (event) => (waiting.length ? waiting.shift()(event) : arrived.push(event));
    ws.on('message', (data, isBinary) => push({kind: 'message', data, isBinary}));
    ws.on('pong', (data) => push({kind: 'pong', data}));
    ws.on('close', (code, reason) => push({kind: 'close', code, reason: reason.toString()}));
    ws.on('error', (err) => push({kind: 'error', err}));
    return {
        ws,
        next(timeoutMs = 10000) {
            if (arrived.length) return Promise.resolve(arrived.shift());
            return new Promise((resolve, reject) => {
                const timer = setTimeout(() => reject(new Fail('nothing arrived in time')), timeoutMs);
                waiting.push((event) => { clearTimeout(timer); resolve(event); });
            });
        },
        async message() {
            const e = await this.next();
            check(e.kind === 'message', `expected a message, got ${e.kind} ${e.code || ''}`);
            return e;
        },
        send(data, options = {}) {
            return new Promise((resolve, reject) => ws.send(data, options, (err) => (err ? reject(err) : resolve())));
        },
    };
}

async function expectText(peer, text, what) {
    const e = await peer.message();
    check(!e.isBinary && e.data.toString() === text, what);
}
async function expectBinary(peer, bytes, what) {
    const e = await peer.message();
    check(e.isBinary && Buffer.compare(e.data, bytes) === 0, what);
}
async function expectClose(peer, code, what) {
    let e;
    do e = await peer.next(); while (e.kind === 'error');
    check(e.kind === 'close' && e.code === code, `${what}: got ${e.kind} ${e.code}`);
}

// ---- both sides run the same families; `side` says which end we are -------------

const families = {
    async framing(peer) {
        for (const n of SIZES) {
            await peer.send(pattern(n, n), {binary: true});
            await expectBinary(peer, pattern(n, n), `binary echo of ${n} bytes`);
            await peer.send('z'.repeat(n));
            await expectText(peer, 'z'.repeat(n), `text echo of ${n} bytes`);
        }
    },
    async pings(peer) {
        for (const payload of [Buffer.alloc(0), Buffer.from('ping'), pattern(125)]) {
            peer.ws.ping(payload);
            const e = await peer.next();
            check(e.kind === 'pong' && Buffer.compare(e.data, payload) === 0, 'pong with the ping\'s data');
        }
        peer.ws.pong(Buffer.from('unsolicited'));
        await peer.send('after');
        await expectText(peer, 'after', 'echo after pings');
    },
    async fragmentation(peer) {
        await peer.send('frag', {fin: false});
        await peer.send('men', {fin: false});
        await peer.send('ted', {fin: true});
        await expectText(peer, 'fragmented', 'fragmented text');
        await peer.send(pattern(300, 1), {binary: true, fin: false});
        peer.ws.ping(Buffer.from('between'));
        await peer.send(pattern(70000, 2), {binary: true, fin: true});
        let e = await peer.next();
        check(e.kind === 'pong', 'a pong for the ping between fragments');
        await expectBinary(peer, Buffer.concat([pattern(300, 1), pattern(70000, 2)]), 'fragmented binary');
    },
    async utf8(peer) {
        for (const text of TEXTS) {
            await peer.send(text);
            await expectText(peer, text, `text ${JSON.stringify(text.slice(0, 10))}`);
        }
    },
    async limits(peer) {
        // the other end runs with --max-message 100000
        await peer.send(pattern(100000), {binary: true});
        await expectBinary(peer, pattern(100000), 'a message at the limit');
        await peer.send(pattern(100001), {binary: true});
        await expectClose(peer, 1009, 'a message over the limit');
        return 'closed';
    },
    async closing(peer) {
        await peer.send('last');
        await expectText(peer, 'last', 'echo before closing');
        peer.ws.close(4000, 'done');
        await expectClose(peer, 4000, 'the close code echoed');
        return 'closed';
    },
};

async function asClient(url, family) {
    const ws = new WebSocket(url, {maxPayload: 0, perMessageDeflate: false});
    const peer = wrap(ws);
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    const state = await families[family](peer);
    if (state !== 'closed') {
        ws.close(1000);
        await expectClose(peer, 1000, 'the closing handshake');
    }
}

function asServer(family) {
    return new Promise((resolve) => {
        const wss = new WebSocket.WebSocketServer({host: '127.0.0.1', port: 0, maxPayload: 0});
        wss.on('listening', () => console.log(`listening on 127.0.0.1:${wss.address().port}`));
        wss.on('connection', async (ws) => {
            const peer = wrap(ws);
            let outcome = 'ok';
            try {
                const state = await families[family](peer);
                if (state !== 'closed') {
                    ws.close(1000);
                    await expectClose(peer, 1000, 'the closing handshake');
                }
            } catch (e) {
                outcome = `FAIL ${e.message}`;
            }
            console.log(outcome);
            wss.close();
            resolve(outcome === 'ok' ? 0 : 1);
        });
    });
}

async function main() {
    const [mode, a, b] = process.argv.slice(2);
    const deadline = setTimeout(() => { console.log('FAIL timed out'); process.exit(1); }, 30000);
    let status;
    try {
        if (mode === 'client' && families[b]) {
            await asClient(a, b);
            console.log('ok');
            status = 0;
        } else if (mode === 'server' && families[a]) {
            status = await asServer(a);
        } else {
            console.error('usage: node peer-node.js client URL FAMILY | server FAMILY');
            status = 2;
        }
    } catch (e) {
        console.log(`FAIL ${e.message}`);
        status = 1;
    }
    clearTimeout(deadline);
    process.exit(status);
}
main();
