// chat.js - the page's side: one WebSocket to /ws; the history arrives
// first as an array, then each message as an object. Reconnects after a
// drop, with a growing pause.
'use strict';
const list = document.getElementById('messages');
const status = document.getElementById('status');
const form = document.getElementById('say');
const nameInput = document.getElementById('name');
const textInput = document.getElementById('text');
nameInput.value = localStorage.getItem('chat-name') || '';
let socket = null;
let pause = 500;

function show(m) {
  const li = document.createElement('li');
  const who = document.createElement('b');
  who.textContent = m.name;          // text, never HTML: a message cannot inject markup
  const what = document.createElement('span');
  what.textContent = m.text;
  const when = document.createElement('time');
  when.textContent = new Date(m.at).toLocaleTimeString();
  li.append(who, what, when);
  list.append(li);
  list.scrollTop = list.scrollHeight;
}

function connect() {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  socket = new WebSocket(url);
  socket.onopen = () => { status.textContent = 'connected'; status.className = 'up'; pause = 500; };
  socket.onmessage = (ev) => {
    const data = JSON.parse(ev.data);
    if (Array.isArray(data)) { list.replaceChildren(); data.forEach(show); }
    else if (data.error) { status.textContent = data.error; }
    else { show(data); }
  };
  socket.onclose = () => {
    status.textContent = 'reconnecting…'; status.className = '';
    setTimeout(connect, pause);
    pause = Math.min(pause * 2, 10000);
  };
}

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  if (!socket || socket.readyState !== WebSocket.OPEN) return;
  localStorage.setItem('chat-name', nameInput.value);
  socket.send(JSON.stringify({ name: nameInput.value, text: textInput.value }));
  textInput.value = '';
  textInput.focus();
});

connect();
