"""街巷长: the chief's patrol log (街巷长日志), the alley ledger (台账), the scorecard (考核) and the public notice
board (公示)."""
