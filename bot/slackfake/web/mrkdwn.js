// Slack mrkdwn to safe HTML: every piece of text is HTML-escaped before any markup is added, and
// the only tags produced are the ones written here. Exposed as window.nfmmMrkdwn for the page
// and for the browser tests.
'use strict';
(function () {
  // The shortcodes NFMM and Slack's own messages commonly use.
  const EMOJI = {
    white_check_mark: '✅', heavy_check_mark: '✔️', x: '❌', warning: '⚠️', no_entry: '⛔',
    no_entry_sign: '🚫', red_circle: '🔴', large_green_circle: '🟢', large_yellow_circle: '🟡',
    large_orange_circle: '🟠', white_circle: '⚪', mute: '🔇', speaker: '🔈', sound: '🔉',
    loud_sound: '🔊', microphone: '🎤', studio_microphone: '🎙️', video_camera: '📹', camera: '📷',
    movie_camera: '🎥', busts_in_silhouette: '👥', bust_in_silhouette: '👤', telephone_receiver: '📞',
    phone: '☎️', computer: '💻', desktop_computer: '🖥️', chart_with_upwards_trend: '📈',
    chart_with_downwards_trend: '📉', bar_chart: '📊', hourglass: '⌛', hourglass_flowing_sand: '⏳',
    stopwatch: '⏱️', information_source: 'ℹ️', lock: '🔒', unlock: '🔓', satellite_antenna: '📡',
    satellite: '📡', rotating_light: '🚨', bell: '🔔', no_bell: '🔕', gear: '⚙️',
    arrows_counterclockwise: '🔄', globe_with_meridians: '🌐', speech_balloon: '💬', memo: '📝',
    wave: '👋', tada: '🎉', eyes: '👀', star: '⭐', sparkles: '✨', zap: '⚡', fire: '🔥',
    thumbsup: '👍', '+1': '👍', thumbsdown: '👎', '-1': '👎', crown: '👑', clipboard: '📋',
    link: '🔗', page_facing_up: '📄', mag: '🔍', calendar: '📅', spiral_calendar_pad: '🗓️',
    clock1: '🕐', clock3: '🕒', robot_face: '🤖', signal_strength: '📶', electric_plug: '🔌',
    heavy_plus_sign: '➕', heavy_minus_sign: '➖', arrow_right: '➡️', arrow_left: '⬅️',
    small_red_triangle_down: '🔻', small_red_triangle: '🔺', construction: '🚧', door: '🚪',
    raised_hand: '✋', question: '❓', exclamation: '❗', point_right: '👉', headphones: '🎧',
  };

  const HTML = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  const escapeHTML = (s) => String(s).replace(/[&<>"']/g, (c) => HTML[c]);

  // Slack escapes exactly these three in message text; decode them once, so "&amp;lt;" shows
  // as "&lt;" and "&lt;b&gt;" as "<b>" — as text, never as markup.
  const ENT = { lt: '<', gt: '>', amp: '&' };
  const decodeEntities = (s) => String(s).replace(/&(lt|gt|amp);/g, (_, e) => ENT[e]);

  const emojify = (html) => html.replace(/:([a-z0-9_+-]{1,40}):/g, (m, name) => EMOJI[name] || m);

  const SAFE_URL = /^(https?:|mailto:|tel:|sips?:)/i;

  // reference renders what sits between < and >: a link, a mention or a special.
  function reference(inner, users) {
    const bar = inner.indexOf('|');
    const target = bar >= 0 ? inner.slice(0, bar) : inner;
    const label = bar >= 0 ? inner.slice(bar + 1) : '';
    if (target.startsWith('@')) {
      const id = target.slice(1);
      const name = label || (users && users[id]) || id;
      return '<span class="mention">@' + escapeHTML(decodeEntities(name)) + '</span>';
    }
    if (target.startsWith('#')) {
      return '<span class="mention">#' + escapeHTML(decodeEntities(label || target.slice(1))) + '</span>';
    }
    if (target.startsWith('!')) {
      const word = target.slice(1).split('^')[0];
      return '<span class="mention">@' + escapeHTML(decodeEntities(label || word)) + '</span>';
    }
    const url = decodeEntities(target);
    const text = escapeHTML(decodeEntities(label || target));
    if (!SAFE_URL.test(url)) {
      return text;
    }
    return '<a href="' + escapeHTML(url) + '" target="_blank" rel="noopener noreferrer">' + text + '</a>';
  }

  // Emphasis markers must touch a word on the inside and not on the outside, as in Slack.
  // Zero-width (non-)joiners and spaces count as part of a word: NFMM puts them around
  // formatting characters of untrusted names (AEAD_AES_256_GCM) precisely so nothing pairs up.
  const BOLD = /(^|[^\w*\u200b-\u200d])\*(?=\S)([^*\n]*?\S)\*(?![\w\u200b-\u200d])/g;
  const ITALIC = /(^|[^\w_\u200b-\u200d])_(?=\S)([^_\n]*?\S)_(?![\w\u200b-\u200d])/g;
  const STRIKE = /(^|[^\w~\u200b-\u200d])~(?=\S)([^~\n]*?\S)~(?![\w\u200b-\u200d])/g;

  function mrkdwn(src, users) {
    // \u0001 and \u0002 delimit placeholders; input cannot contain them.
    let text = String(src == null ? '' : src).replace(/[\u0001\u0002]/g, '');
    const held = [];
    const hold = (html) => '\u0001' + (held.push(html) - 1) + '\u0002';
    text = text.replace(/```([\s\S]+?)```/g, (_, c) => hold('<pre>' + escapeHTML(decodeEntities(c)) + '</pre>'));
    text = text.replace(/`([^`\n]+)`/g, (_, c) => hold('<code>' + escapeHTML(decodeEntities(c)) + '</code>'));
    text = text.replace(/<([^<>\n]+)>/g, (_, inner) => hold(reference(inner, users)));
    let html = escapeHTML(decodeEntities(text));
    html = html.replace(BOLD, '$1<b>$2</b>').replace(ITALIC, '$1<i>$2</i>').replace(STRIKE, '$1<s>$2</s>');
    html = emojify(html).replace(/^&gt; ?(.*)$/gm, '<span class="quote">$1</span>').replace(/\n/g, '<br>');
    return html.replace(/\u0001(\d+)\u0002/g, (_, i) => held[Number(i)]);
  }

  // plain renders a plain_text object's text: escaped, shortcodes only when emoji is on.
  function plain(s, emoji) {
    const html = escapeHTML(s == null ? '' : s);
    return emoji === false ? html : emojify(html);
  }

  window.nfmmMrkdwn = { mrkdwn, plain, escapeHTML };
})();
