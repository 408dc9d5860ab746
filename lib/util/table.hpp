// Plain-text tables with aligned columns, for human output.
#pragma once

#include <string>
#include <vector>

namespace portico::text {

std::string render_table(const std::vector<std::string>& headers,
                         const std::vector<std::vector<std::string>>& rows);

}  // namespace portico::text
