"""What a report or a dashboard page shows, as plain data: texts, table rows and figures.

One module per thing shown: :mod:`.run` (a measured run, its timeline, runs
compared), :mod:`.estimate` (a training or inference estimate), :mod:`.scenario`
(a scenario and its levers); :mod:`.common` holds the chart layout, the display
units and the texts of ranges and impacts they share.
"""
