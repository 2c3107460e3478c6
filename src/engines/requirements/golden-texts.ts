/**
 * The golden requirement texts: the requirements engine's golden tests check what it extracts from
 * them, and the end-to-end prototype runs take each one to a tested service. One place, so both
 * always use the same words.
 */

export const GOLDEN_EN = {
  library:
    'LibraryHub is a library service. Librarians add books with title, author and ISBN, and members borrow them. Each book has a unique ISBN, a due date and a status (available, borrowed or lost). Members have a name and an email. A member can borrow at most 3 books at a time. Members should be able to search books by title. The API must respond within 200 ms and be 99.9% available. Members could reserve books. The colour of the sky is irrelevant.',
  shop: 'An online shop where customers browse products and place orders. Each product has a name, a price and a stock quantity. An order has many items. Admins manage products. The checkout must respond within 300 ms. Customers could cancel orders.',
  clinic:
    'Patients book appointments with doctors. An appointment has a date, a start time and a status (scheduled, completed or cancelled). Patients can cancel appointments. Doctors should be able to view appointments. Each patient has a name and an email address, and the email must be unique. The system must be 99.95% available.',
  todo: "Users can create, edit and delete tasks. A task has a title, a description, a due date and a priority. Tasks should be searchable by title. The app must support 10,000 concurrent users. Users won't share tasks.",
  courses:
    'Students enroll in courses. A course has a title, a code and a capacity. A student can enroll in at most 5 courses per semester. The portal must be secure.',
  blog: 'Authors write posts so that readers learn something. A post has a title, a body and a published date. A post belongs to a category. Posts can be deleted by admins.',
  expenses:
    'A mobile app that lets you track expenses in real time. Each expense has an amount, a category and a date. The service must handle 500 requests per second. Data is stored in PostgreSQL.',
  hotel:
    'Guests reserve rooms. A room has a number, a rate and a type. The rate is a number. The room type can be single, double or suite. Receptionists update rooms.',
  events:
    'Organizers create events with a name, a venue and a ticket price. The ticket price must be positive. Attendees can view events. Pages must load in under 2 seconds at the p99.',
} as const;

export const GOLDEN_ZH = {
  library:
    '图书馆管理系统是一个在线借阅平台。图书管理员可以添加、修改和删除图书。每本图书有书名、作者、唯一的ISBN和状态（可借、已借出、遗失）。会员借阅图书，每位会员最多借3本书。会员应该能够搜索图书。系统必须在200毫秒内响应，可用性达到99.9%。天空是蓝色的。',
  shop: '管理员管理商品。商品包含名称、价格和库存。一个订单包含多个商品。顾客必须能够下单购买商品。',
  clinic:
    '患者必须能够预约医生。预约包含预约时间、日期和科室。预约的状态分为待确认、已确认和已取消。患者可以取消预约。系统可用性必须达到99.95%。',
  todo: '用户可以创建、编辑和删除任务。任务有标题、描述和截止日期。用户应该能够搜索任务。系统不会支持导出报表。',
  courses: '学生选课。每个学生最多选5门课程。课程包含课程名称和学分。系统需要支持1000个并发用户。',
  blog: '作者发布文章。文章有标题和内容。文章属于分类。系统必须保证数据安全。',
  dishes: '顾客可以浏览菜品。菜品包含名称、价格和口味。',
  hotel: '客户预订房间。房间包含房号、价格和类型。房号不能重复。',
  orders: '用户可以在手机上实时查看订单。系统每秒处理500个请求。数据存储在PostgreSQL中。',
} as const;

/** Texts with nothing to build: every sentence must end up in openQuestions. */
export const UNMAPPABLE = {
  en: 'It is a delightful experience. Everything feels magical. Enjoy the journey!',
  zh: '这是一段美好的旅程。一切都很神奇。',
} as const;
