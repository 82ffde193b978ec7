// Draws the dashboard's charts from the figures the page carries (no request of its own).
(function () {
  var d = JSON.parse(document.getElementById('dashboard-data').textContent);
  var font = {fontFamily: '"Noto Sans CJK SC", "Noto Sans SC", sans-serif'};
  function chart(id, option) {
    var c = echarts.init(document.getElementById(id), null, {renderer: 'canvas'});
    option.textStyle = font; option.animation = false;
    c.setOption(option);
    window.addEventListener('resize', function () { c.resize(); });
  }
  var days = d.daily.map(function (r) { return r[0].slice(5); });
  chart('chart-daily', {
    title: {text: '每日新增 / 办结 / 超期', left: 8, top: 4, textStyle: {fontSize: 14}}, tooltip: {trigger: 'axis'}, legend: {top: 4, right: 8},
    grid: {top: 44, left: 40, right: 16, bottom: 30}, xAxis: {type: 'category', data: days}, yAxis: {type: 'value'},
    series: [{name: '新增', type: 'line', data: d.daily.map(function (r) { return r[1]; })},
             {name: '办结', type: 'line', data: d.daily.map(function (r) { return r[2]; })},
             {name: '超期', type: 'bar', data: d.daily.map(function (r) { return r[3]; })}]
  });
  chart('chart-category', {
    title: {text: '按类别', left: 8, top: 4, textStyle: {fontSize: 14}}, tooltip: {trigger: 'item'},
    series: [{type: 'pie', radius: ['35%', '65%'], top: 24, data: d.category.map(function (r) { return {name: r[0], value: r[1]}; })}]
  });
  function owners(id, title, rows) {
    chart(id, {
      title: {text: title, left: 8, top: 4, textStyle: {fontSize: 14}}, tooltip: {trigger: 'axis'}, legend: {top: 4, right: 8},
      grid: {top: 44, left: 90, right: 16, bottom: 30}, yAxis: {type: 'category', data: rows.map(function (r) { return r[0]; })},
      xAxis: {type: 'value'},
      series: [{name: '新增', type: 'bar', data: rows.map(function (r) { return r[1]; })},
               {name: '办结', type: 'bar', data: rows.map(function (r) { return r[2]; })},
               {name: '超期', type: 'bar', data: rows.map(function (r) { return r[3]; })}]
    });
  }
  owners('chart-grid', '按网格', d.grid);
  owners('chart-worker', '按承办人', d.worker);
  document.body.setAttribute('data-charts', 'ready');
})();
