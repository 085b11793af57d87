require 'yaml'

module MCollective
  module Facts
    # Reads facts from the YAML files named by plugin.rexyaml (separated like PATH).
    #
    # Debian's stock yaml_facts.rb calls YAML.safe_load with positional arguments, which Psych 4
    # (Ruby 3.1 in bookworm) refuses with "wrong number of arguments (given 4, expected 1)"; every
    # fact then reads as nil and fact filters match nothing. This source uses the keyword form.
    class Rexyaml_facts < Base
      def load_facts_from_source
        sources.each_with_object({}) do |file, facts|
          loaded = YAML.safe_load(File.read(file), permitted_classes: [Symbol], aliases: true)
          facts.merge!(loaded) if loaded.is_a?(Hash)
        end
      end

      # The fact cache is refreshed when a file changes, so a test can change a node's facts.
      def force_reload?
        stamps = sources.map { |file| File.exist?(file) ? File.mtime(file) : nil }
        changed = !@stamps.nil? && @stamps != stamps
        @stamps = stamps
        changed
      end

      private

      def sources
        Config.instance.pluginconf.fetch("rexyaml").split(File::PATH_SEPARATOR)
      end
    end
  end
end
