// The package as the specs of the toolkit see it: index.js plus lib/toolkit.js, until index.js
// installs the toolkit itself (then this file is just `module.exports = require('../index.js')`).
const binding = require('../index.js')
module.exports = require('../lib/toolkit.js').installToolkit(binding)
