require "json"
require "zlib"

module MCollective
  module Agent
    # A puppet agent for the MCollective test fleet, without Puppet: it answers the actions mco-rex
    # follows a Puppet run with (status, runonce, last_run_summary; enable and disable too) as
    # choria-plugins/puppet-agent does, like the Choria fleet's virtual puppet agent
    # (proxy-plugin/src/broker/fleet/agents/puppet.agent.ts). runonce starts a simulated run that
    # applies a catalog for plugin.puppet.run_seconds (default 2), refused while disabled or while a
    # run applies; then status and last_run_summary report it. A run on a db node fails one
    # resource; the changes vary by node and run. The state is a JSON file in the node's directory
    # (next to its log), locked while an action reads and writes it.
    class Puppet < RPC::Agent
      action "status" do
        with_state { |state| status_of(state).each { |k, v| reply[k.to_sym] = v } }
      end

      action "runonce" do
        with_state do |state|
          reply.fail!("Puppet is disabled: '#{state['disable_message']}'") unless state["enabled"]
          reply.fail!("Puppet is currently applying a catalog, cannot run now") if state["current"]
          state["runs"] += 1
          state["current"] = {
            "ends_at" => Time.now.to_f + Float(config.pluginconf.fetch("puppet.run_seconds", "2")),
            "noop" => request[:noop] == true,
            "environment" => request[:environment] || "production",
            "number" => state["runs"],
          }
          flags = ["--onetime", "--no-daemonize"]
          flags << "--noop" if request[:noop] == true
          flags << "--tags #{request[:tags]}" if request[:tags]
          flags << "--environment #{request[:environment]}" if request[:environment]
          reply[:summary] = "Started a Puppet run using the 'puppet agent #{flags.join(' ')}' command"
          reply[:initiated_at] = Time.now.to_i
        end
      end

      action "last_run_summary" do
        with_state do |state|
          last = state["last"] || {"noop" => false, "environment" => "production", "number" => 0}
          failed = last["noop"] || !config.identity.start_with?("db-") ? 0 : 1
          out_of_sync = Zlib.crc32("#{config.identity}:#{last['number']}") % 4 + failed
          changed = last["noop"] ? 0 : out_of_sync - failed
          total = 100 + Zlib.crc32(config.identity) % 400
          logs = []
          if request[:logs]
            changed.times { |i| logs << {"time_utc" => state["lastrun"], "level" => "notice", "source" => "/Stage[main]/Profile::Base/File[/etc/rex/mco-#{i + 1}.conf]/content", "msg" => "content changed"} }
            failed.times { logs << {"time_utc" => state["lastrun"], "level" => "err", "source" => "/Stage[main]/Profile::Db/Service[postgresql]", "msg" => "Could not start Service[postgresql]"} }
          end
          reply[:out_of_sync_resources] = out_of_sync
          reply[:failed_resources] = failed
          reply[:corrected_resources] = 0
          reply[:changed_resources] = changed
          reply[:total_resources] = total
          reply[:config_retrieval_time] = 1.5
          reply[:total_time] = Float(config.pluginconf.fetch("puppet.run_seconds", "2"))
          reply[:lastrun] = state["lastrun"]
          reply[:since_lastrun] = Time.now.to_i - state["lastrun"]
          reply[:config_version] = (1700000000 + last["number"]).to_s
          reply[:type_distribution] = {"File" => total / 2, "Service" => total / 20}
          reply[:summary] = {
            "resources" => {"total" => total, "changed" => changed, "failed" => failed, "out_of_sync" => out_of_sync},
            "events" => {"noop" => last["noop"] ? out_of_sync : 0, "success" => changed, "failure" => failed},
            "environment" => last["environment"],
          }
          reply[:logs] = logs
        end
      end

      action "disable" do
        with_state do |state|
          reply.fail!("Puppet is already disabled: #{state['disable_message']}") unless state["enabled"]
          state["enabled"] = false
          state["disable_message"] = request[:message] || "Disabled via MCollective by rex"
          reply[:status] = "Puppet has been disabled"
          reply[:enabled] = false
        end
      end

      action "enable" do
        with_state do |state|
          reply.fail!("Puppet is already enabled") if state["enabled"]
          state["enabled"] = true
          state["disable_message"] = ""
          reply[:status] = "Puppet has been enabled"
          reply[:enabled] = true
        end
      end

      private

      def status_of(state)
        applying = !state["current"].nil?
        text = applying ? "applying a catalog" : state["enabled"] ? "idling" : "disabled"
        since = Time.now.to_i - state["lastrun"]
        {
          "applying" => applying,
          "idling" => state["enabled"] && !applying,
          "enabled" => state["enabled"],
          "daemon_present" => false,
          "lastrun" => state["lastrun"],
          "since_lastrun" => since,
          "status" => text,
          "disable_message" => state["disable_message"],
          "message" => "Currently #{text}; last completed run #{since} seconds ago",
        }
      end

      # The node's state, with a run whose time has passed ended; saved after the block unless it fails.
      def with_state
        File.open(File.join(File.dirname(config.logfile), "puppet-state.json"), File::RDWR | File::CREAT, 0o600) do |file|
          file.flock(File::LOCK_EX)
          text = file.read
          state = text.empty? ? {"enabled" => true, "disable_message" => "", "lastrun" => 0, "runs" => 0, "current" => nil, "last" => nil} : JSON.parse(text)
          current = state["current"]
          if current && Time.now.to_f >= current["ends_at"]
            state["current"] = nil
            # Each run ends after the one before, as real runs (which take seconds) do.
            state["lastrun"] = [current["ends_at"].floor, state["lastrun"] + 1].max
            state["last"] = current
          end
          yield state
          file.rewind
          file.truncate(0)
          file.write(JSON.generate(state))
        end
      end
    end
  end
end
