/** Inline stylesheet of report.html: no fonts, images or anything else fetched. */
export const HTML_STYLE = `
:root{--pass:#1a7f37;--warn:#9a6700;--fail:#cf222e;--error:#8250df;--muted:#57606a;--line:#d0d7de;--bg:#f6f8fa}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2328;background:#fff}
main{max-width:1100px;margin:0 auto;padding:0 16px 48px}
.banner{padding:20px 16px;color:#fff}
.banner h1{margin:0 auto;max-width:1100px;font-size:26px}
.banner p{margin:4px auto 0;max-width:1100px;opacity:.9}
.banner.passed{background:var(--pass)}.banner.blocked{background:var(--fail)}
.banner code{background:rgba(255,255,255,.2);color:inherit}
h2{margin-top:32px;border-bottom:1px solid var(--line);padding-bottom:4px}
table{border-collapse:collapse;width:100%;margin:8px 0}
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top;overflow-wrap:break-word}
th{background:var(--bg)}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.st{display:inline-block;padding:0 8px;border-radius:10px;color:#fff;font-weight:600;font-size:12px}
.st-pass{background:var(--pass)}.st-warn{background:var(--warn)}.st-fail{background:var(--fail)}.st-error{background:var(--error)}.st-disabled{background:var(--muted)}
.sev{font-weight:600;white-space:nowrap}.sev-critical{color:#a40e26}.sev-high{color:var(--fail)}.sev-medium{color:var(--warn)}.sev-low,.sev-info,.sev-unknown{color:var(--muted)}
.fs{font-size:12px;color:var(--muted)}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:var(--bg);padding:0 3px;border-radius:3px;word-break:break-all}
.checks{margin:0;padding-left:16px}.checks .bad{color:var(--fail)}
/* z-index: the finding sections are contained (content-visibility) and would paint over the bar. */
#filters{position:sticky;top:0;z-index:2;background:#fff;padding:8px 0;border-bottom:1px solid var(--line);display:flex;gap:12px;flex-wrap:wrap;align-items:center}
#filters input[type=search]{flex:1;min-width:160px;max-width:100%;padding:4px 8px}
#filters select{max-width:100%}
tr.hide,tbody.hide,section.hide,#filters[hidden]{display:none}
.findings td:nth-child(2){font:12px ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}
.findings small{display:block;color:var(--muted);font-weight:normal}.findings tr.h th{background:#fff;padding-top:10px}.findings i{color:var(--muted);font-size:12px}
#findings section{content-visibility:auto;contain-intrinsic-size:auto 600px}
figure{margin:12px 0}figcaption{font-size:12px;color:var(--muted)}
svg{max-width:100%;height:auto}
/* A phone: each table row becomes a block, so no table is wider than the screen. */
@media (max-width:640px){
table,thead,tbody,tr,th,td{display:block}
thead{display:none}
tr{border-bottom:1px solid var(--line);padding:4px 0}
th,td{border:0;padding:2px 8px}
.findings td:empty{display:none}
}
svg text{font-size:11px;fill:#1f2328}
.bar{fill:#0969da}.bar-bad{fill:var(--fail)}.sla{stroke:var(--fail);stroke-dasharray:4 3}.sla-label{fill:var(--fail)}
.line{fill:none;stroke:#0969da;stroke-width:1.5}.line-bad{fill:none;stroke:var(--fail);stroke-width:1.5}
.grid{stroke:var(--line)}.weight{fill:none;stroke:#0969da;stroke-width:2}
.mark{fill:#0969da}.mark-pass{fill:var(--pass)}.mark-fail,.mark-error{fill:var(--fail)}.mark-inconclusive{fill:var(--muted)}
`;

/**
 * Progressive enhancement: the page reads fully without it. It reveals the filter bar and hides
 * finding rows that do not match the severity, status, gate and text filters.
 */
export const HTML_SCRIPT = `
(function(){
  var bar=document.getElementById('filters');if(!bar)return;bar.hidden=false;
  var q=document.getElementById('q'),gate=document.getElementById('gate'),all=0;
  var sections=[].slice.call(document.querySelectorAll('#findings section'));
  function checked(name){return [].slice.call(bar.querySelectorAll('input[name='+name+']:checked')).map(function(i){return i.value})}
  function apply(){
    var sev=checked('sev'),st=checked('st'),text=q.value.trim().toLowerCase(),g=gate.value,shown=0;all=0;
    sections.forEach(function(sec){
      var inGate=!g||sec.getAttribute('data-gate')===g,inSection=0;
      [].slice.call(sec.querySelectorAll('tbody[data-s]')).forEach(function(body){
        var head=body.rows[0].textContent.toLowerCase(),inGroup=0,sevOk=inGate&&sev.indexOf(body.getAttribute('data-s'))>=0;
        [].slice.call(body.rows,1).forEach(function(tr){
          all++;
          var ok=sevOk&&st.indexOf(tr.getAttribute('data-st')||'new')>=0&&(!text||head.indexOf(text)>=0||tr.textContent.toLowerCase().indexOf(text)>=0);
          tr.classList.toggle('hide',!ok);if(ok)inGroup++;
        });
        body.classList.toggle('hide',inGroup===0);inSection+=inGroup;
      });
      sec.classList.toggle('hide',inSection===0);shown+=inSection;
    });
    document.getElementById('shown').textContent=shown+' of '+all+' shown';
  }
  bar.addEventListener('input',apply);bar.addEventListener('change',apply);
  document.getElementById('shown').textContent=document.querySelectorAll('#findings tbody[data-s] tr:not(.h)').length+' findings shown';
})();
`;
