// The capture page: asks the router for the parsed dump (.../summary) and the profile (.../profile) and builds the
// page from them. Every string from a dump or an alert goes into the DOM through textContent, never as markup.
'use strict';

(function () {
  const REFRESH_MS = 2000;
  const parts = location.pathname.split('/');
  // /captures/{node}/{id}
  const node = decodeURIComponent(parts[2] || '');
  const id = decodeURIComponent(parts[3] || '');
  const base = '/captures/' + encodeURIComponent(node) + '/' + encodeURIComponent(id);

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) {
      e.className = className;
    }
    if (text !== undefined && text !== null) {
      e.textContent = String(text);
    }
    return e;
  }

  function status(text, isError) {
    const s = document.getElementById('status');
    s.textContent = text;
    s.className = isError ? 'err' : 'muted';
    s.hidden = !text;
  }

  function durationText(start, end) {
    const ms = Date.parse(end) - Date.parse(start);
    return Number.isFinite(ms) && ms >= 0 ? (ms / 1000).toFixed(2) + ' s' : '';
  }

  function fact(list, label, value) {
    if (value === undefined || value === null || value === '') {
      return;
    }
    list.appendChild(el('dt', null, label));
    list.appendChild(el('dd', null, value));
  }

  function showFacts(h) {
    const list = document.getElementById('facts-list');
    list.replaceChildren();
    fact(list, 'alert', [h['alert-name'], h['alert-value']].filter(Boolean).join(' = '));
    fact(list, 'target', [h.namespace, h.pod, h.container].filter(Boolean).join(' / '));
    fact(list, 'node', h.node || node);
    fact(list, 'runtime', h.runtime);
    fact(list, 'dump tool', h.engine);
    fact(list, 'outcome', h.outcome + (h['exit-code'] ? ' (exit ' + h['exit-code'] + ')' : ''));
    fact(list, 'error', h.error);
    fact(list, 'started', h.start);
    fact(list, 'capture took', durationText(h.start, h.end));
    fact(list, 'sampling interval', h['interval-ms'] ? h['interval-ms'] + ' ms' : '');
    fact(list, 'JVM pid', h.pid);
    fact(list, 'threads in the JVM', h.threads);
    fact(list, 'profile', h.profile);
    fact(list, 'truncated', h.truncated);
    fact(list, 'capture id', id);
    document.getElementById('raw-link').href = base + '?raw=true';
    document.getElementById('profile-link').href = base + '/profile';
    document.getElementById('facts').hidden = false;
  }

  function showStates(states) {
    const box = document.getElementById('states');
    box.replaceChildren();
    Object.keys(states).forEach(function (s) {
      const chip = el('span', 'state state-' + s.replace(/[^A-Z_]/g, '_'), s + ' ' + states[s]);
      box.appendChild(chip);
    });
  }

  function showThreads(threads) {
    const list = document.getElementById('threads');
    list.replaceChildren();
    const max = threads.reduce(function (m, t) { return Math.max(m, t.cpu); }, 0);
    threads.forEach(function (t) {
      const li = el('li', 'thread');
      const details = el('details');
      const summary = el('summary');
      summary.appendChild(el('span', 'rank', '#' + t.rank));
      summary.appendChild(el('span', 'cpu', t.cpu.toFixed(1) + '%'));
      summary.appendChild(el('span', 'name', t.name));
      const bar = el('span', 'bar');
      const fill = el('span', 'fill');
      fill.style.width = (max > 0 ? Math.max(0, Math.min(100, 100 * t.cpu / max)) : 0) + '%';
      bar.appendChild(fill);
      summary.appendChild(bar);
      summary.appendChild(el('span', 'state' + (t.state ? ' state-' + t.state : ''), t.state || 'no Java frames'));
      details.appendChild(summary);
      details.appendChild(el('pre', 'stack', t.stack || '(no Java stack: a JVM-internal or native thread)'));
      li.appendChild(details);
      list.appendChild(li);
    });
    document.getElementById('threads-section').hidden = false;
  }

  // "frame;frame;frame count" lines into d3-flame-graph's tree; every node's value includes its children's.
  function collapsedToTree(text) {
    const root = { name: 'all', value: 0, children: [] };
    const index = new Map();
    text.split('\n').forEach(function (line) {
      const l = line.trim();
      const space = l.lastIndexOf(' ');
      if (space <= 0) {
        return;
      }
      const count = Number(l.slice(space + 1));
      if (!Number.isFinite(count) || count <= 0) {
        return;
      }
      root.value += count;
      let parent = root;
      let path = '';
      l.slice(0, space).split(';').forEach(function (frame) {
        path += '\u0000' + frame;
        let child = index.get(path);
        if (!child) {
          child = { name: frame, value: 0, children: [] };
          index.set(path, child);
          parent.children.push(child);
        }
        child.value += count;
        parent = child;
      });
    });
    return root;
  }

  function showProfile() {
    const section = document.getElementById('flame-section');
    const note = document.getElementById('profile-status');
    section.hidden = false;
    fetch(base + '/profile', { headers: { Accept: 'text/plain' }, credentials: 'same-origin' })
      .then(function (res) {
        if (res.status === 404) {
          note.textContent = 'No profile for this capture.';
          document.getElementById('flame-search').hidden = true;
          document.getElementById('flame').hidden = true;
          return null;
        }
        if (!res.ok) {
          throw new Error('the router answered ' + res.status + ' for the profile');
        }
        return res.text();
      })
      .then(function (text) {
        if (text === null) {
          return;
        }
        const tree = collapsedToTree(text);
        if (tree.value === 0) {
          note.textContent = 'The profile has no samples.';
          return;
        }
        note.textContent = tree.value + ' samples.';
        drawFlameGraph(tree);
      })
      .catch(function (e) {
        note.textContent = 'Cannot load the profile: ' + e.message;
        note.className = 'err';
      });
  }

  function drawFlameGraph(tree) {
    const container = document.getElementById('flame');
    const chart = window.flamegraph.default()
      .width(Math.max(400, container.clientWidth - 2))
      .cellHeight(18)
      .transitionDuration(300)
      .minFrameSize(2)
      .sort(true)
      .title('')
      .setDetailsElement(document.getElementById('flame-details'));
    window.d3.select(container).datum(tree).call(chart);
    document.getElementById('flame-search').addEventListener('submit', function (e) {
      e.preventDefault();
      chart.search(document.getElementById('flame-term').value);
    });
    document.getElementById('flame-clear').addEventListener('click', function () {
      document.getElementById('flame-term').value = '';
      chart.clear();
    });
    document.getElementById('flame-reset').addEventListener('click', function () {
      chart.resetZoom();
    });
  }

  function load() {
    fetch(base + '/summary', { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (res) {
        return res.json().then(function (body) {
          if (!res.ok) {
            throw new Error(body.error || ('the router answered ' + res.status));
          }
          return body;
        });
      })
      .then(function (s) {
        if (s.state === 'running') {
          document.title = 'jdd capture ' + id + ' (running)';
          status('This capture is still running (started ' + (s.info && s.info.start ? s.info.start : '?')
            + '); the page refreshes itself.', false);
          setTimeout(load, REFRESH_MS);
          return;
        }
        const h = s.header || {};
        document.title = 'jdd ' + [h.namespace, h.pod].filter(Boolean).join('/') + ' ' + (h.start || '');
        status(s.threads.length ? '' : 'The dump has no ranked threads (outcome ' + h.outcome + ').', false);
        showFacts(h);
        showStates(s.states || {});
        showThreads(s.threads);
        showProfile();
      })
      .catch(function (e) {
        status('Cannot load capture ' + id + ' on node ' + node + ': ' + e.message, true);
      });
  }

  document.getElementById('title').textContent = node + ' / ' + id;
  load();
}());
