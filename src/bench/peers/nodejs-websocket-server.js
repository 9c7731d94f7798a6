// npm `nodejs-websocket` as its README shows it: echo, and broadcast over server.connections.
// Usage: node --expose-gc nodejs-websocket-server.js PORT   (echo on /echo, one chat room on /chat/*)
'use strict';
const ws = require('nodejs-websocket');

const port = Number(process.argv[2]);

const server = ws.createServer((conn) => {
  const chat = conn.path.startsWith('/chat/');
  conn.on('error', () => {});
  conn.on('text', (text) => {
    if (chat) {
      server.connections.forEach((member) => member.sendText(text));
    } else {
      conn.sendText(text);
    }
  });
  conn.on('binary', (stream) => {
    const parts = [];
    stream.on('data', (part) => parts.push(part));
    stream.on('end', () => conn.sendBinary(Buffer.concat(parts)));
  });
});

process.on('SIGUSR2', () => global.gc && global.gc());
process.on('SIGTERM', () => process.exit(0));
server.listen(port, '127.0.0.1', () => console.log(`nodejs-websocket listening on ${port}`));
