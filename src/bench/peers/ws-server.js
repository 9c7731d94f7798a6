// node `ws` as its users write it: an echo server and the README's broadcast loop.
// Usage: node --expose-gc ws-server.js PORT   (echo on /echo, one chat room on /chat/*)
'use strict';
const http = require('http');
const { WebSocketServer, WebSocket } = require('ws');

const port = Number(process.argv[2]);

const echo = new WebSocketServer({ noServer: true });
echo.on('connection', (ws) => {
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});

const chat = new WebSocketServer({ noServer: true });
chat.on('connection', (ws) => {
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => {
    chat.clients.forEach((client) => {
      if (client.readyState === WebSocket.OPEN) {
        client.send(data, { binary: isBinary });
      }
    });
  });
});

const server = http.createServer((req, res) => res.writeHead(404).end());
server.on('upgrade', (req, socket, head) => {
  const path = req.url.split('?')[0];
  const wss = path === '/echo' ? echo : path.startsWith('/chat/') ? chat : null;
  if (!wss) {
    socket.destroy();
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
});

// The harness sends SIGUSR2 before it reads our memory, so RSS is measured after a GC.
process.on('SIGUSR2', () => global.gc && global.gc());
process.on('SIGTERM', () => process.exit(0));
server.listen(port, '127.0.0.1', () => console.log(`ws ${require('ws/package.json').version} listening on ${port}`));
