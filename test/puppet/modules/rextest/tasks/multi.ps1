Write-Output "{\"shell\": \"powershell\"}"
