'use strict';
// The page talks to the same endpoints as any client: the repository index for the models, then /classify.
const $ = (id) => document.getElementById(id);

async function loadModels() {
  const response = await fetch('/v2/repository/index', { method: 'POST' });
  const models = await response.json();
  for (const m of models) {
    const option = document.createElement('option');
    option.value = m.name;
    option.textContent = `${m.name} (${m.state.toLowerCase()})`;
    $('model').appendChild(option);
  }
}

function show(result) {
  $('genre').textContent = result.genre;
  const bars = $('bars');
  bars.replaceChildren();
  for (const t of result.top) {
    const li = document.createElement('li');
    li.className = 'genre';
    li.dataset.genre = t.genre;
    li.dataset.probability = t.probability;
    const label = document.createElement('span');
    label.className = 'label';
    label.textContent = t.genre;
    const bar = document.createElement('span');
    bar.className = 'bar';
    bar.style.width = `${Math.max(1, Math.round(t.probability * 300))}px`;
    const value = document.createElement('span');
    value.className = 'value';
    value.textContent = `${(t.probability * 100).toFixed(1)}%`;
    li.append(label, bar, value);
    bars.appendChild(li);
  }
  const ms = result.timing_ms;
  $('latency').textContent = `${ms.total.toFixed(1)} ms in all: decode ${ms.decode.toFixed(1)}, queue ${ms.queue.toFixed(1)}, model ${ms.compute.toFixed(1)} (batch of ${result.batch_size})`;
  $('spectrogram').src = `data:image/png;base64,${result.image.png}`;
  $('result').hidden = false;
  document.body.dataset.state = 'done';
}

async function classify(file) {
  $('status').className = '';
  $('status').textContent = `Classifying ${file.name}…`;
  document.body.dataset.state = 'busy';
  try {
    const model = encodeURIComponent($('model').value);
    const response = await fetch(`/v2/models/${model}/classify?top=3&spectrogram=true`, { method: 'POST', body: file });
    const result = await response.json();
    if (!response.ok) throw new Error(result.error || `HTTP ${response.status}`);
    $('status').textContent = file.name;
    show(result);
  } catch (e) {
    $('status').className = 'error';
    $('status').textContent = `${file.name}: ${e.message}`;
    document.body.dataset.state = 'error';
  }
}

const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  if (e.dataTransfer.files.length > 0) classify(e.dataTransfer.files[0]);
});
$('file').addEventListener('change', (e) => { if (e.target.files.length > 0) classify(e.target.files[0]); });

// Tests (and links) can name a file already on the server's side of things: ?demo=<url> fetches and classifies it.
loadModels().then(async () => {
  const demo = new URLSearchParams(location.search).get('demo');
  if (demo) {
    const response = await fetch(demo);
    const blob = await response.blob();
    classify(new File([blob], demo.split('/').pop()));
  }
});
