// bench-echo-node.js - a Node.js echo server, the peer that scripts/bench-echo
// measures echo-epoll against.  The idiomatic one: each socket piped into
// itself, which also gives back-pressure (a client that does not read stops
// being read).  Nagle's algorithm is off, as in the course's servers.
//
//   node scripts/bench-echo-node.js [PORT]
'use strict';
const net = require('net');

const port = Number(process.argv[2] || 0);
const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
  socket.pipe(socket);
});
server.listen(port, '127.0.0.1', () => {
  console.log(`listening on 127.0.0.1:${server.address().port}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => process.exit(0));
}
