// Sagitta: an "Analyse spine" button and the analysis status on Orthanc Explorer's instance
// and series pages, with a link to the review page for a film that has a result.
(function () {
  function sagittaPanel(page, anchor, kind) {
    $(page).live('pagebeforeshow', function () {
      var id = $.mobile.pageData.uuid;
      $('.sagitta-ui').remove();
      var status = $('<div class="sagitta-ui" style="margin: 0.5em 0"></div>');
      var button = $('<a class="sagitta-ui" href="#" data-role="button" data-icon="search" data-theme="e">Analyse spine</a>');
      button.insertAfter($(anchor)).button();
      status.insertAfter(button);
      button.click(function (e) {
        e.preventDefault();
        $.ajax({
          url: '../sagitta/' + kind + '/' + id + '/analyse', type: 'POST', data: JSON.stringify({ force: true }),
          success: function (r) { status.text('Sagitta: ' + r.queued + ' analysis queued'); },
          error: function (x) { status.text('Sagitta: ' + x.responseText); }
        });
      });
      if (kind !== 'instances') return;
      $.ajax({
        url: '../sagitta/instances/' + id + '/results', dataType: 'json',
        success: function (job) {
          var html = '<b>Sagitta</b>: ' + $('<span>').text(job.state).html();
          if (job.reason) html += ' &mdash; ' + $('<span>').text(job.reason).html();
          if (job.result) {
            html += ' &mdash; <a rel="external" target="_blank" href="../sagitta/app/review.html?job=' +
                    encodeURIComponent(job.id) + '">review the landmarks</a>';
          }
          (job.forwards || []).forEach(function (f) {
            var line = 'sent to ' + f.destination + ': ' + f.state + ' (' + f.attempts + ' attempt' +
                       (f.attempts === 1 ? '' : 's') + ')' + (f.reason && f.state !== 'sent' ? ', last error: ' + f.reason : '');
            html += '<br/>' + $('<span>').text(line).html();
          });
          var p = job.result && job.result.parameters && job.result.parameters.parameters;
          if (p) {
            html += '<table style="margin-top: 0.3em">';
            for (var k in p) {
              var v = p[k].value === null ? '&ndash;' : p[k].value + ' ' + p[k].unit;
              html += '<tr><td>' + $('<span>').text(k).html() + '</td><td>' + v + '</td></tr>';
            }
            html += '</table>';
          }
          status.html(html);
        },
        error: function () { status.text('Sagitta: not analysed'); }
      });
    });
  }
  sagittaPanel('#instance', '#instance-info', 'instances');
  sagittaPanel('#series', '#series-info', 'series');
})();
